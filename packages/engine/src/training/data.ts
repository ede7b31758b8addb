import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "../errors.js";

/** Model inputs or targets: one tensor, or one per model input/output. */
export type TensorOrList = tf.Tensor | readonly tf.Tensor[];

/** The list form of inputs or targets, checking that every tensor has the same sample count. */
export function asList(value: TensorOrList, what: string): tf.Tensor[] {
  const list = Array.isArray(value) ? [...(value as tf.Tensor[])] : [value as tf.Tensor];
  if (list.length === 0) throw new EngineError("invalid-argument", cannot("read", what, "no tensors given"));
  const n = list[0]!.shape[0];
  for (const t of list) {
    if (t.rank === 0 || t.shape[0] !== n) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "read",
          what,
          `every tensor needs the same first (sample) axis; got shapes ${list.map((x) => JSON.stringify(x.shape)).join(", ")}`,
        ),
      );
    }
  }
  return list;
}

/** The number of samples of a list made by {@link asList}. */
export function sampleCount(list: readonly tf.Tensor[]): number {
  return list[0]!.shape[0]!;
}

/** Rows [start, end) of every tensor. */
export function sliceRows(list: readonly tf.Tensor[], start: number, end: number): tf.Tensor[] {
  return list.map((t) => tf.slice(t, [start], [end - start]));
}

/** The given rows (by index) of every tensor. */
export function gatherRows(list: readonly tf.Tensor[], indices: Int32Array): tf.Tensor[] {
  const idx = tf.tensor1d(indices, "int32");
  try {
    return list.map((t) => tf.gather(t, idx));
  } finally {
    idx.dispose();
  }
}

/** Batch boundaries over n samples: [start, end) pairs. */
export function batchRanges(n: number, batchSize: number): [number, number][] {
  if (!Number.isSafeInteger(batchSize) || batchSize <= 0) {
    throw new EngineError(
      "invalid-argument",
      cannot("split", "the data into batches", `batchSize must be a positive integer, got ${batchSize}`),
    );
  }
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += batchSize) out.push([s, Math.min(n, s + batchSize)]);
  return out;
}

/** A random permutation of 0..n-1 (Fisher-Yates with `random`, Math.random by default). */
export function permutation(n: number, random: () => number = Math.random): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Where Keras splits for `validation_split`: floor(n * (1 - split)); the tail validates. */
export function splitIndex(n: number, split: number): number {
  if (!(split > 0 && split < 1)) {
    throw new EngineError(
      "invalid-argument",
      cannot("split", "the training data", `validationSplit must be in (0, 1), got ${split}`),
    );
  }
  const at = Math.floor(n * (1 - split));
  if (at === 0 || at === n) {
    throw new EngineError(
      "invalid-argument",
      cannot("split", "the training data", `validationSplit ${split} of ${n} samples leaves one side empty`),
    );
  }
  return at;
}

/**
 * Per-sample weights from `classWeight` (class index to weight): the class of a sample is
 * argmax(y) for one-hot targets, y itself for integer labels (Keras's rule).
 */
export function classWeightsToSampleWeights(y: tf.Tensor, classWeight: Readonly<Record<number, number>>): tf.Tensor1D {
  return tf.tidy(() => {
    const labels =
      y.rank > 1 && y.shape[y.rank - 1]! > 1
        ? tf.argMax(y, -1)
        : tf.cast(tf.round(tf.reshape(y, [y.shape[0]!])), "int32");
    const ids = labels.dataSync();
    const out = new Float32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const w = classWeight[ids[i]!];
      if (w === undefined) {
        throw new EngineError(
          "invalid-argument",
          cannot("apply", "classWeight", `class ${ids[i]} has no weight`, "give a weight for every class"),
        );
      }
      out[i] = w;
    }
    return tf.tensor1d(out);
  });
}
