import type { DType, HostTensor, Store } from "@kerastore/core";
import {
  type ReadTensorOptions,
  type TensorBundle,
  openBundle,
  readBundleTensor,
  readBundleTensors,
} from "./bundle-read.js";
import { tfDataTypeName } from "./dtypes.js";

/**
 * A checkpoint opened for reading tensors by key, like `tf.train.load_checkpoint`.
 */
export interface CheckpointReader {
  /** The bundle underneath (entries, shards). */
  readonly bundle: TensorBundle;
  /** Every key with its dtype name (`float32`, `string`; TensorFlow's name for the rest). */
  variableToDtypeMap(): Map<string, DType | string>;
  /** Every key with its shape. */
  variableToShapeMap(): Map<string, number[]>;
  /** Whether the checkpoint holds `key`. */
  hasTensor(key: string): boolean;
  /** Reads one tensor (CRC-checked unless turned off). */
  getTensor(key: string): Promise<HostTensor>;
  /** Reads several tensors (default: all) in key order, overlapping reads with CRC checks. */
  getTensors(keys?: Iterable<string>): AsyncGenerator<[string, HostTensor]>;
  /** `[key, shape]` pairs sorted by key, like `tf.train.list_variables`. */
  listVariables(): [string, number[]][];
}

/** Opens the checkpoint at `prefix` (reads `prefix.index`; tensors are read on demand). */
export async function loadCheckpoint(
  store: Store,
  prefix: string,
  options: ReadTensorOptions = {},
): Promise<CheckpointReader> {
  const bundle = await openBundle(store, prefix);
  const keys = [...bundle.entries.keys()].sort();
  return {
    bundle,
    variableToDtypeMap: () =>
      new Map(keys.map((k) => [k, bundle.entries.get(k)!.dtype ?? tfDataTypeName(bundle.entries.get(k)!.tfDtype)])),
    variableToShapeMap: () => new Map(keys.map((k) => [k, [...bundle.entries.get(k)!.shape]])),
    hasTensor: (key) => bundle.entries.has(key),
    getTensor: (key) => readBundleTensor(bundle, key, options),
    getTensors: (wanted) => readBundleTensors(bundle, wanted ?? keys, options),
    listVariables: () => keys.map((k) => [k, [...bundle.entries.get(k)!.shape]]),
  };
}
