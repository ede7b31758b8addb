import { createHash } from "node:crypto";
import { type HostTensor, bytesOf } from "@kerastore/core";
import type { KerasH5 } from "./node.js";

/** sha256 of a tensor's little-endian bytes, as h5py's `tobytes()` gives them. */
export function sha256Of(tensor: HostTensor): string {
  if (tensor.dtype === "string") throw new Error("string tensor");
  return createHash("sha256").update(bytesOf(tensor.data)).digest("hex");
}

/** Every dataset a read produced, by its HDF5 path. */
export function datasetsOf(result: KerasH5): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  if (result.kind === "keras3-weights") {
    for (const e of result.entries) {
      for (const [i, v] of e.values.entries()) out.set(`${e.path === "" ? "" : `/${e.path}`}/vars/${i}`, v);
    }
    return out;
  }
  const group = result.kind === "legacy-model" ? "/model_weights" : "";
  const layers = [...result.legacy.weights.layers];
  if (result.legacy.weights.topLevel) layers.push(result.legacy.weights.topLevel);
  for (const layer of layers) {
    for (const [i, w] of layer.weights.entries()) out.set(`${group}/${layer.name}/${layer.weightNames[i]}`, w);
  }
  for (const w of result.legacy.optimizerWeights) out.set(`/optimizer_weights/${w.name}`, w.value);
  return out;
}

/** h5py's dtype name for a Kerastore dtype (bfloat16 is an opaque `|V2` to h5py). */
export function h5pyDType(dtype: string): string {
  return dtype === "bfloat16" ? "|V2" : dtype;
}
