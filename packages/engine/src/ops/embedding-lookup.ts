import * as tf from "@tensorflow/tfjs-core";
import { ensureGatherRows, GATHER_ROWS } from "./wasm/gather.js";

/**
 * The gradient of a row lookup kept per occurrence: row `ids[i]` received `values[i]`.
 *
 * TensorFlow hands an embedding's gradient to Keras's optimizers as `IndexedSlices`, one slice
 * per looked-up id, duplicates not yet summed; Keras's elementwise ops then square (or take the
 * absolute value of) each slice before the sum. Optimizers that square the gradient (Adam's
 * velocity, RMSprop, Adagrad, ...) therefore accumulate the sum of squares of the occurrences,
 * not the square of their sum. Keeping the occurrences lets ours do the same.
 */
export interface SparseGradient {
  /** Row ids, one per occurrence ([n], int32). */
  readonly ids: tf.Tensor1D;
  /** The occurrence gradients ([n, ...row shape]). */
  readonly values: tf.Tensor;
  /** Rows of the table. */
  readonly rows: number;
}

let recording: Map<tf.Tensor, SparseGradient[]> | null = null;

/**
 * Runs `fn` (a gradient computation) while recording the occurrence gradients of every
 * {@link embeddingLookup}; returns its result and the records by table variable.
 */
export function recordSparseGradients<T>(fn: () => T): { result: T; sparse: Map<tf.Tensor, SparseGradient> } {
  const outer = recording;
  recording = new Map();
  const records = recording;
  try {
    const result = fn();
    const sparse = new Map<tf.Tensor, SparseGradient>();
    for (const [table, list] of records) {
      if (list.length === 1) {
        sparse.set(table, list[0]!);
        continue;
      }
      sparse.set(table, {
        ids: tf.concat(list.map((r) => r.ids)) as tf.Tensor1D,
        values: tf.concat(list.map((r) => r.values)),
        rows: list[0]!.rows,
      });
      for (const r of list) tf.dispose([r.ids, r.values]);
    }
    return { result, sparse };
  } finally {
    recording = outer;
  }
}

/**
 * `table[ids]` (Keras's Embedding: `ops.take(embeddings, inputs, axis=0)`) with a gradient that
 * is the same dense sum tfjs gives, plus, inside {@link recordSparseGradients}, the
 * per-occurrence slices.
 */
export function embeddingLookup(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const rowShape = table.shape.slice(1);
  const rows = table.shape[0]!;
  const flat = tf.reshape(tf.cast(ids, "int32"), [-1]) as tf.Tensor1D;
  const lookup = tf.customGrad(((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([flat]);
    return {
      value: tf.reshape(gatherRows(t, flat), [...ids.shape, ...rowShape]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const idx = saved[0] as tf.Tensor1D;
        const values = tf.reshape(dy, [idx.shape[0]!, ...rowShape]);
        if (recording !== null) {
          const list = recording.get(table) ?? [];
          list.push({ ids: tf.keep(tf.clone(idx)) as tf.Tensor1D, values: tf.keep(tf.clone(values)), rows });
          recording.set(table, list);
        }
        return [tf.unsortedSegmentSum(values, idx, rows)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const out = lookup(table);
  flat.dispose();
  return out;
}

/** `table[ids]` along the first axis: on WASM as row copies (./wasm/gather.ts). */
function gatherRows(table: tf.Tensor, ids: tf.Tensor1D): tf.Tensor {
  if (!ensureGatherRows()) return tf.gather(table, ids);
  return tf
    .engine()
    .runKernel(GATHER_ROWS, { x: table, indices: ids } as never, { axis: 0, batchDims: 0 } as never) as tf.Tensor;
}

/** Σ over occurrences of f(slice), per row: what Keras gets from f on IndexedSlices, densified. */
export function segmentSumOf(sparse: SparseGradient, f: (values: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.unsortedSegmentSum(f(sparse.values), sparse.ids, sparse.rows);
}
