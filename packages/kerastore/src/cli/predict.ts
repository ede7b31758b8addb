import { type HostTensor, type NumericHostTensor, cannot, hostTensor, readNpy, toFloat32, writeNpy } from "@kerastore/core";
import { readTflite } from "@kerastore/tflite";
import { createTfliteRunner } from "@kerastore/tflite-lowering";
import { FacadeError } from "../errors.js";
import { defaultFormatRegistry } from "../formats/builtin-formats.js";
import { tfliteFormat } from "../formats/tflite-format.js";
import { keras } from "../keras.js";
import { locate } from "../location.js";

/** Runs a model on `.npy` inputs and writes its outputs as `.npy` (atomically). */
export async function predictFiles(model: string, inputs: readonly string[], outputs: readonly string[]): Promise<void> {
  const tensors: HostTensor[] = [];
  for (const input of inputs) {
    const { store, path } = locate(input);
    tensors.push(forBackend(readNpy(await store.read(path), input)));
  }
  const results = (await isTfliteFile(model)) ? await predictTflite(model, tensors) : await predictKeras(model, tensors);
  if (results.length !== outputs.length) {
    throw new FacadeError("bad-argument", cannot("predict with", model, `it gives ${results.length} output(s), ${outputs.length} --output given`));
  }
  for (const [i, out] of results.entries()) {
    const { store, path } = locate(outputs[i]!);
    await store.write(path, writeNpy(out as NumericHostTensor));
  }
}

async function predictKeras(model: string, tensors: HostTensor[]): Promise<unknown[]> {
  const loaded = await keras.models.loadModel(model, { compile: false });
  const expected = loaded.inputs.length;
  if (tensors.length !== expected) {
    throw new FacadeError("bad-argument", cannot("predict with", model, `it takes ${expected} input(s), ${tensors.length} --input given`));
  }
  const result = loaded.predict(tensors.length === 1 ? tensors[0]! : tensors);
  return Array.isArray(result) ? result : [result];
}

async function isTfliteFile(model: string): Promise<boolean> {
  const format = await defaultFormatRegistry()
    .detect(locate(model))
    .catch(() => undefined);
  return format?.name === tfliteFormat.name;
}

/** A .tflite runs in Kerastore's TFLite interpreter (it holds a graph, not a Keras model). */
async function predictTflite(model: string, tensors: HostTensor[]): Promise<unknown[]> {
  await keras.ready();
  const { store, path } = locate(model);
  const runner = createTfliteRunner(readTflite(await store.read(path), { path: model }), { path: model });
  try {
    return runner.predict(tensors);
  } finally {
    runner.dispose();
  }
}

/** The backend computes in float32 and int32: wider inputs are narrowed, as Keras casts them. */
function forBackend(t: NumericHostTensor): HostTensor {
  if (t.dtype === "float64" || t.dtype === "float16" || t.dtype === "bool") return hostTensor("float32", t.shape, toFloat32(t));
  if (t.dtype === "int64" || t.dtype === "uint32" || t.dtype === "uint64") return hostTensor("int32", t.shape, Int32Array.from(t.data as ArrayLike<number | bigint>, Number));
  return t;
}
