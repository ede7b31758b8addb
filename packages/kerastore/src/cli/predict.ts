import { type HostTensor, type NumericHostTensor, cannot, hostTensor, joinPath, readNpy, toFloat32, writeNpy } from "@kerastore/core";
import { KERAS_METADATA_PB } from "@kerastore/savedmodel";
import { readTflite } from "@kerastore/tflite";
import { createTfliteRunner } from "@kerastore/tflite-lowering";
import { FacadeError } from "../errors.js";
import { defaultFormatRegistry } from "../formats/builtin-formats.js";
import { tfliteFormat } from "../formats/tflite-format.js";
import { keras } from "../keras.js";
import { locate } from "../location.js";

/**
 * Runs a model on `.npy` inputs and writes its outputs as `.npy` (atomically). A SavedModel
 * with no Keras model in it runs a serving signature (`serving_default` unless `signature`);
 * a `.tflite` runs in Kerastore's TFLite interpreter.
 */
export async function predictFiles(model: string, inputs: readonly string[], outputs: readonly string[], signature?: string): Promise<void> {
  const location = locate(model);
  const format = await defaultFormatRegistry().detect(location);
  const graphOnly = format.name === "savedmodel" && !(await location.store.exists(joinPath(location.path, KERAS_METADATA_PB)));
  if (signature !== undefined && !graphOnly) {
    throw new FacadeError("invalid-argument", cannot("predict with", model, "--signature applies to a SavedModel without a Keras model"));
  }
  const results = graphOnly
    ? await runSignature(model, inputs, signature ?? "serving_default")
    : format.name === tfliteFormat.name
      ? await runTflite(model, inputs)
      : await runKeras(model, inputs);
  if (results.length !== outputs.length) {
    throw new FacadeError("invalid-argument", cannot("predict with", model, `it gives ${results.length} output(s), ${outputs.length} --output given`));
  }
  for (const [i, out] of results.entries()) {
    const { store, path } = locate(outputs[i]!);
    await store.write(path, writeNpy(out as NumericHostTensor));
  }
}

async function readInput(input: string): Promise<HostTensor> {
  const { store, path } = locate(input);
  return forBackend(readNpy(await store.read(path), input));
}

async function runKeras(model: string, inputs: readonly string[]): Promise<HostTensor[]> {
  const loaded = await keras.models.loadModel(model, { compile: false });
  const tensors: HostTensor[] = [];
  for (const input of inputs) tensors.push(await readInput(input));
  const expected = loaded.inputs.length;
  if (tensors.length !== expected) {
    throw new FacadeError("invalid-argument", cannot("predict with", model, `it takes ${expected} input(s), ${tensors.length} --input given`));
  }
  return loaded.predictMany(tensors.length === 1 ? tensors[0]! : tensors);
}

/**
 * Runs a signature as `saved_model_cli run` does: inputs by name (`--input name=x.npy`) or, in
 * the signature's input order, by position; outputs in the signature's output order.
 */
async function runSignature(model: string, inputs: readonly string[], key: string): Promise<HostTensor[]> {
  const loaded = await keras.savedModel.load(model);
  try {
    const fn = loaded.signatures[key];
    const spec = loaded.info.signatures[key];
    if (fn === undefined || spec === undefined) {
      const keys = Object.keys(loaded.signatures);
      throw new FacadeError("invalid-argument", cannot("predict with", model, `it has no signature "${key}"`, `pass --signature ${keys.join(" or ") || "(it has none)"}`));
    }
    const names = Object.keys(spec.inputs);
    if (inputs.length !== names.length) {
      throw new FacadeError("invalid-argument", cannot("predict with", model, `signature ${key} takes ${names.length} input(s) (${names.join(", ")}), ${inputs.length} --input given`));
    }
    const feed: Record<string, HostTensor> = {};
    for (const [i, input] of inputs.entries()) {
      const eq = input.indexOf("=");
      const named = eq > 0 && names.includes(input.slice(0, eq));
      feed[named ? input.slice(0, eq) : names[i]!] = await readInput(named ? input.slice(eq + 1) : input);
    }
    const out = await fn(feed);
    return Object.keys(spec.outputs).map((name) => out[name]!);
  } finally {
    loaded.dispose();
  }
}

/** A .tflite runs in Kerastore's TFLite interpreter (it holds a graph, not a Keras model). */
async function runTflite(model: string, inputs: readonly string[]): Promise<HostTensor[]> {
  await keras.ready();
  const tensors: HostTensor[] = [];
  for (const input of inputs) tensors.push(await readInput(input));
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
