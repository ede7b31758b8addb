import { cannot } from "@kerastore/core";
import { FacadeError } from "../errors.js";
import { describeLocation } from "../location.js";
import type { FormatRunner } from "./capabilities.js";
import type { ModelReader, ModelWriter } from "./format.js";

/** The TFLite writer's own options (`settings` of `save`). */
export interface TfliteWriteOptions {
  /** Weight quantization, as Python's converter: `none` (default), `float16` or `dynamic-range`. */
  readonly quantize?: "none" | "float16" | "dynamic-range" | undefined;
  /** The batch size the flatbuffer's input shapes fix. Default 1. */
  readonly batchSize?: number | undefined;
}

function convertOptions(options: TfliteWriteOptions, where: string): Required<TfliteWriteOptions> {
  const quantize = options.quantize ?? "none";
  const batchSize = options.batchSize ?? 1;
  if (quantize !== "none" && quantize !== "float16" && quantize !== "dynamic-range") {
    throw new FacadeError(
      "invalid-argument",
      cannot("save", where, `quantize ${JSON.stringify(quantize)} is not "none", "float16" or "dynamic-range"`),
    );
  }
  if (typeof batchSize !== "number")
    throw new FacadeError(
      "invalid-argument",
      cannot("save", where, `batchSize ${JSON.stringify(batchSize)} is not a number`),
    );
  return { quantize, batchSize };
}

/** TFLite's file identifier, at bytes 4..7 of the flatbuffer. */
const TFL3 = [0x54, 0x46, 0x4c, 0x33];

// The TFLite packages (flatbuffers, the lowering, the interpreter) load when a .tflite is read,
// written or run: a bundle that never touches one does not carry them.
const tflite = () => import("@kerastore/tflite");
const lowering = () => import("@kerastore/tflite-lowering");

/**
 * A TensorFlow Lite model (`.tflite`), as Python's `tf.lite.TFLiteConverter` writes it.
 *
 * Writing lowers the model's layers to TFLite builtin ops (`@kerastore/tflite-lowering`;
 * options `quantize` and `batchSize`). Reading gives the graph, not a Keras model: its
 * operators as the tree's children with their constant tensors, which `inspect` lists;
 * `kerastore predict` runs it in Kerastore's TFLite interpreter.
 */
export const tfliteFormat: ModelReader & ModelWriter<TfliteWriteOptions> & FormatRunner = {
  name: "tflite",
  description: "TensorFlow Lite flatbuffer (.tflite)",
  extensions: [".tflite"],
  holds: { architecture: true, weights: true, optimizer: false },
  sniff: (head) => head.length >= 8 && TFL3.every((b, i) => head[4 + i] === b),
  async read(location) {
    const { readTflite, tfliteToSavedTree } = await tflite();
    const data = {
      root: tfliteToSavedTree(
        readTflite(await location.store.read(location.path), { path: describeLocation(location) }),
      ),
    };
    // Its operators as the tree's layers, with no model config: loadModel says so.
    return {
      data,
      layout: "layer-list",
      holds: tfliteFormat.holds,
      format: tfliteFormat.name,
      description: tfliteFormat.description,
    };
  },
  // The flatbuffer holds the computation itself (Keras 2's hard_sigmoid lowered as such).
  plan: () => ({ dialect: "keras3", computes: "graph", optimizer: false }),
  async write({ store, path }, data, options) {
    const where = `${store.description}/${path}`;
    const settings = convertOptions(options, where);
    const [{ writeTflite }, { lowerToTflite }, { fromSavedModelData, initBackend, Model }] = await Promise.all([
      tflite(),
      lowering(),
      import("@kerastore/engine"),
    ]);
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
  runs: async () => true,
  async run(location, inputs, options) {
    const where = describeLocation(location);
    if (options.signature !== undefined) {
      throw new FacadeError(
        "invalid-argument",
        cannot("predict with", where, "--signature applies to a SavedModel without a Keras model"),
      );
    }
    const [{ readTflite }, { createTfliteRunner }, { initBackend }] = await Promise.all([
      tflite(),
      lowering(),
      import("@kerastore/engine"),
    ]);
    await initBackend();
    const runner = createTfliteRunner(readTflite(await location.store.read(location.path), { path: where }), {
      path: where,
    });
    try {
      return runner.predict(inputs.map((i) => i.value));
    } finally {
      runner.dispose();
    }
  },
};
