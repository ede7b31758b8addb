import { cannot } from "@kerastore/core";
import { Model, fromSavedModelData, initBackend } from "@kerastore/engine";
import { isTflite, readTflite, tfliteToSavedTree, writeTflite } from "@kerastore/tflite";
import { type TfliteConvertOptions, lowerToTflite } from "@kerastore/tflite-lowering";
import { FacadeError } from "../errors.js";
import type { ModelFormat } from "./format.js";

/** `settings` of a TFLite save: `{ quantize: "float16" | "dynamic-range", batchSize: 4 }`. */
function convertOptions(settings: Record<string, unknown> | undefined, where: string): TfliteConvertOptions {
  const quantize = settings?.quantize ?? "none";
  const batchSize = settings?.batchSize ?? 1;
  if (quantize !== "none" && quantize !== "float16" && quantize !== "dynamic-range") {
    throw new FacadeError("invalid-argument", cannot("save", where, `quantize ${JSON.stringify(quantize)} is not "none", "float16" or "dynamic-range"`));
  }
  if (typeof batchSize !== "number") throw new FacadeError("invalid-argument", cannot("save", where, `batchSize ${JSON.stringify(batchSize)} is not a number`));
  return { quantize, batchSize };
}

/**
 * A TensorFlow Lite model (`.tflite`), as Python's `tf.lite.TFLiteConverter` writes it.
 *
 * Writing lowers the model's layers to TFLite builtin ops (`@kerastore/tflite-lowering`;
 * settings `quantize` and `batchSize`). Reading gives the graph, not a Keras model: its
 * operators as the tree's children with their constant tensors, which `inspect` lists;
 * `createTfliteRunner` of `@kerastore/tflite-lowering` runs it.
 */
export const tfliteFormat: ModelFormat = {
  name: "tflite",
  description: "TensorFlow Lite flatbuffer (.tflite)",
  extensions: [".tflite"],
  holds: { architecture: true, weights: true, optimizer: false },
  layout: "layer-list",
  sniff: isTflite,
  async read({ store, path }) {
    const where = `${store.description}/${path}`;
    return { root: tfliteToSavedTree(readTflite(await store.read(path), { path: where })) };
  },
  async write({ store, path }, data, options) {
    const where = `${store.description}/${path}`;
    const settings = convertOptions(options.settings, where);
    await initBackend();
    // The model being saved, when the caller has it: it computes exactly what it was read as
    // (Keras 2's hard_sigmoid stays Keras 2's), which a rebuild from the tree cannot promise.
    const live = options.liveModel instanceof Model ? options.liveModel : undefined;
    const model = live ?? fromSavedModelData(data);
    try {
      await store.write(path, writeTflite(lowerToTflite(model, settings)));
    } finally {
      if (live === undefined) for (const w of model.weights) w.value.dispose();
    }
  },
};
