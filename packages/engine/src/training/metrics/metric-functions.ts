import * as tf from "@tensorflow/tfjs-core";
import type { MetricFunction } from "./metric.js";

// Keras's squeeze_or_expand_to_same_rank for (y_true, y_pred).
function sameRank(t: tf.Tensor, p: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (t.rank === p.rank + 1 && t.shape[t.rank - 1] === 1) return [tf.squeeze(t, [-1]), p];
  if (p.rank === t.rank + 1 && p.shape[p.rank - 1] === 1) return [t, tf.squeeze(p, [-1])];
  return [t, p];
}

/** 1 where y_pred equals y_true, elementwise. */
export const accuracy: MetricFunction = (yt, yp) => {
  const [t, p] = sameRank(yt, yp);
  return tf.cast(tf.equal(tf.cast(t, "float32"), tf.cast(p, "float32")), "float32");
};

/** 1 where (y_pred > threshold) equals y_true, elementwise. */
export function binaryAccuracy(threshold = 0.5): MetricFunction {
  return (yt, yp) => {
    const [t, p] = sameRank(yt, yp);
    return tf.cast(tf.equal(tf.cast(t, "float32"), tf.cast(tf.greater(p, threshold), "float32")), "float32");
  };
}

/** 1 where argmax(y_pred) equals argmax(y_true). */
export const categoricalAccuracy: MetricFunction = (t, p) =>
  tf.cast(tf.equal(tf.argMax(t, -1), tf.argMax(p, -1)), "float32");

/** 1 where argmax(y_pred) equals the integer label. */
export const sparseCategoricalAccuracy: MetricFunction = (t, p) => {
  const labels = t.rank === p.rank ? tf.squeeze(t, [-1]) : t;
  return tf.cast(tf.equal(tf.cast(labels, "int32"), tf.argMax(p, -1)), "float32");
};

/** 1 where the true class (argmax of y_true) is among the k largest predictions. */
export function topKCategoricalAccuracy(k = 5): MetricFunction {
  return (t, p) => inTopK(tf.argMax(t, -1), p, k);
}

/** 1 where the integer label is among the k largest predictions. */
export function sparseTopKCategoricalAccuracy(k = 5): MetricFunction {
  return (t, p) => inTopK(tf.cast(t.rank === p.rank ? tf.squeeze(t, [-1]) : t, "int32"), p, k);
}

// A label is in the top k when fewer than k predictions are strictly larger than its own
// (tf.math.in_top_k's rule: ties count in the label's favour).
function inTopK(labels: tf.Tensor, p: tf.Tensor, k: number): tf.Tensor {
  const classes = p.shape[p.rank - 1]!;
  const own = tf.sum(tf.mul(p, tf.oneHot(tf.cast(labels, "int32"), classes)), -1, true);
  const larger = tf.sum(tf.cast(tf.greater(p, own), "float32"), -1);
  return tf.cast(tf.less(larger, k), "float32");
}

/** mean |y_pred - y_true| over the last axis. */
export const meanAbsoluteError: MetricFunction = (t, p) => tf.mean(tf.abs(tf.sub(p, t)), -1);

/** mean (y_pred - y_true)^2 over the last axis. */
export const meanSquaredError: MetricFunction = (t, p) => tf.mean(tf.square(tf.sub(p, t)), -1);
