import {
  cannot,
  type HostTensor,
  hostTensor,
  type NumericHostTensor,
  readNpy,
  toFloat32,
  writeNpy,
} from "@kerastore/core";
import { FacadeError } from "../errors.js";
import { isFormatRunner, type RunInput } from "../formats/capabilities.js";
import type { FormatRegistry } from "../formats/format-registry.js";
import { keras } from "../keras.js";
import { locate } from "../location.js";

/**
 * Runs a model on `.npy` inputs and writes its outputs as `.npy` (atomically). A file its
 * format runs as a graph (a SavedModel with no Keras model in it, a `.tflite`) runs there (a
 * SavedModel's `serving_default` signature unless `signature`); any other is loaded as a Keras
 * model.
 */
export async function predictFiles(
  model: string,
  inputs: readonly string[],
  outputs: readonly string[],
  signature: string | undefined,
  formats: FormatRegistry,
): Promise<void> {
  const location = locate(model);
  const reader = await formats.detect(location);
  const graph = isFormatRunner(reader) && (await reader.runs(location)) ? reader : undefined;
  if (signature !== undefined && graph === undefined) {
    throw new FacadeError(
      "invalid-argument",
      cannot("predict with", model, "--signature applies to a SavedModel without a Keras model"),
    );
  }
  const results =
    graph !== undefined
      ? await graph.run(location, await readRunInputs(inputs), { signature })
      : await runKeras(model, inputs, formats);
  if (results.length !== outputs.length) {
    throw new FacadeError(
      "invalid-argument",
      cannot("predict with", model, `it gives ${results.length} output(s), ${outputs.length} --output given`),
    );
  }
  for (const [i, out] of results.entries()) {
    const { store, path } = locate(outputs[i]!);
    await store.write(path, writeNpy(out as NumericHostTensor));
  }
}

/** Inputs by position (`x.npy`) or by name (`name=x.npy`, when no file of that whole name is meant). */
async function readRunInputs(inputs: readonly string[]): Promise<RunInput[]> {
  const read: RunInput[] = [];
  for (const input of inputs) {
    const eq = input.indexOf("=");
    const whole = locate(input);
    const name = eq > 0 && !(await whole.store.exists(whole.path)) ? input.slice(0, eq) : undefined;
    read.push({ name, value: await readInput(name === undefined ? input : input.slice(eq + 1)) });
  }
  return read;
}

async function readInput(input: string): Promise<HostTensor> {
  const { store, path } = locate(input);
  return forBackend(readNpy(await store.read(path), input));
}

async function runKeras(model: string, inputs: readonly string[], formats: FormatRegistry): Promise<HostTensor[]> {
  const loaded = await keras.models.loadModel(model, { compile: false, formats });
  const tensors: HostTensor[] = [];
  for (const input of inputs) tensors.push(await readInput(input));
  const expected = loaded.inputs.length;
  if (tensors.length !== expected) {
    throw new FacadeError(
      "invalid-argument",
      cannot("predict with", model, `it takes ${expected} input(s), ${tensors.length} --input given`),
    );
  }
  return loaded.predictMany(tensors.length === 1 ? tensors[0]! : tensors);
}

/** The backend computes in float32 and int32: wider inputs are narrowed, as Keras casts them. */
function forBackend(t: NumericHostTensor): HostTensor {
  if (t.dtype === "float64" || t.dtype === "float16" || t.dtype === "bool")
    return hostTensor("float32", t.shape, toFloat32(t));
  if (t.dtype === "int64" || t.dtype === "uint32" || t.dtype === "uint64")
    return hostTensor("int32", t.shape, Int32Array.from(t.data as ArrayLike<number | bigint>, Number));
  return t;
}
