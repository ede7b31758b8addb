import * as tf from "@tensorflow/tfjs-core";
import { canFuseSoftmaxCrossEntropy, softmaxCrossEntropy } from "../../ops/wasm/softmax-ce.js";
import { attachedLogits } from "./logits.js";

const EPS = 1e-7;

/** A loss before reduction: one value per sample (the last axis reduced). */
export type LossFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const diff = (t: tf.Tensor, p: tf.Tensor) => tf.sub(p, t);

/** mean((y_pred - y_true)^2, axis=-1). */
export const meanSquaredError: LossFunction = (t, p) => tf.mean(tf.square(diff(t, p)), -1);

/** mean(|y_pred - y_true|, axis=-1). */
export const meanAbsoluteError: LossFunction = (t, p) => tf.mean(tf.abs(diff(t, p)), -1);

/** 100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1). */
export const meanAbsolutePercentageError: LossFunction = (t, p) =>
  tf.mul(tf.mean(tf.abs(tf.div(tf.sub(t, p), tf.maximum(tf.abs(t), EPS))), -1), 100);

/** mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))^2, axis=-1). */
export const meanSquaredLogarithmicError: LossFunction = (t, p) =>
  tf.mean(tf.square(tf.sub(tf.log(tf.add(tf.maximum(p, EPS), 1)), tf.log(tf.add(tf.maximum(t, EPS), 1)))), -1);

/** Huber loss: quadratic within `delta`, linear outside. */
export function huber(delta = 1): LossFunction {
  return (t, p) => {
    const error = diff(t, p);
    const abs = tf.abs(error);
    return tf.mean(
      tf.where(
        tf.lessEqual(abs, delta),
        tf.mul(tf.square(error), 0.5),
        tf.sub(tf.mul(abs, delta), 0.5 * delta * delta),
      ),
      -1,
    );
  };
}

/** mean(log(cosh(y_pred - y_true)), axis=-1), computed stably as x + softplus(-2x) - log 2. */
export const logCosh: LossFunction = (t, p) => {
  const x = diff(t, p);
  return tf.mean(tf.sub(tf.add(x, tf.softplus(tf.mul(x, -2))), Math.log(2)), -1);
};

/** Options of the crossentropies. */
export interface CrossentropyOptions {
  readonly fromLogits?: boolean | undefined;
  readonly labelSmoothing?: number | undefined;
}

/** Binary crossentropy per sample (mean over the last axis). */
export function binaryCrossentropy(options: CrossentropyOptions = {}): LossFunction {
  const smoothing = options.labelSmoothing ?? 0;
  return (t, p) => {
    let target = tf.cast(t, "float32");
    if (smoothing > 0) target = tf.add(tf.mul(target, 1 - smoothing), 0.5 * smoothing);
    const logits = options.fromLogits ? p : attachedLogits(p);
    let per: tf.Tensor;
    if (logits !== undefined) {
      // max(x, 0) - x * z + log(1 + exp(-|x|)), as tf.nn.sigmoid_cross_entropy_with_logits.
      per = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    } else {
      const out = tf.clipByValue(p, EPS, 1 - EPS);
      per = tf.neg(tf.add(tf.mul(target, tf.log(out)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, out)))));
    }
    return tf.mean(per, -1);
  };
}

/** Categorical crossentropy per sample, with one-hot (or soft) targets. */
export function categoricalCrossentropy(options: CrossentropyOptions = {}): LossFunction {
  const smoothing = options.labelSmoothing ?? 0;
  return (t, p) => {
    let target = tf.cast(t, "float32");
    if (smoothing > 0) {
      const classes = p.shape[p.rank - 1]!;
      target = tf.add(tf.mul(target, 1 - smoothing), smoothing / classes);
    }
    const logits = options.fromLogits ? p : attachedLogits(p);
    if (logits !== undefined)
      return canFuseSoftmaxCrossEntropy(target, logits)
        ? softmaxCrossEntropy(target, logits)
        : tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits, -1)), -1));
    const out = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), EPS, 1 - EPS);
    return tf.neg(tf.sum(tf.mul(target, tf.log(out)), -1));
  };
}

/** Categorical crossentropy per sample with integer class targets (shape [n] or [n, 1]). */
export function sparseCategoricalCrossentropy(options: Pick<CrossentropyOptions, "fromLogits"> = {}): LossFunction {
  return (t, p) => {
    const classes = p.shape[p.rank - 1]!;
    const labels = t.rank === p.rank ? tf.squeeze(t, [-1]) : t;
    const onehot = tf.oneHot(tf.cast(tf.reshape(labels, [-1]), "int32"), classes);
    const shaped = tf.reshape(onehot, p.shape);
    return categoricalCrossentropy({ fromLogits: options.fromLogits ?? false })(shaped, p);
  };
}

// Keras turns {0, 1} labels into {-1, 1} for the hinge losses.
function hingeLabels(t: tf.Tensor): tf.Tensor {
  const binary = tf.all(tf.logicalOr(tf.equal(t, 0), tf.equal(t, 1))).dataSync()[0] === 1;
  return binary ? tf.sub(tf.mul(t, 2), 1) : t;
}

/** mean(max(1 - y_true * y_pred, 0), axis=-1). */
export const hinge: LossFunction = (t, p) => tf.mean(tf.relu(tf.sub(1, tf.mul(hingeLabels(t), p))), -1);

/** mean(max(1 - y_true * y_pred, 0)^2, axis=-1). */
export const squaredHinge: LossFunction = (t, p) =>
  tf.mean(tf.square(tf.relu(tf.sub(1, tf.mul(hingeLabels(t), p)))), -1);

/** max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0). */
export const categoricalHinge: LossFunction = (t, p) => {
  const pos = tf.sum(tf.mul(t, p), -1);
  const neg = tf.max(tf.mul(tf.sub(1, t), p), -1);
  return tf.relu(tf.add(tf.sub(neg, pos), 1));
};

/** sum(y_true * log(y_true / y_pred), axis=-1) with both clipped to [eps, 1]. */
export const klDivergence: LossFunction = (t, p) => {
  const ct = tf.clipByValue(t, EPS, 1);
  const cp = tf.clipByValue(p, EPS, 1);
  return tf.sum(tf.mul(ct, tf.log(tf.div(ct, cp))), -1);
};

/** mean(y_pred - y_true * log(y_pred + eps), axis=-1). */
export const poisson: LossFunction = (t, p) => tf.mean(tf.sub(p, tf.mul(t, tf.log(tf.add(p, EPS)))), -1);

/** -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis). */
export function cosineSimilarity(axis = -1): LossFunction {
  const normalize = (x: tf.Tensor) => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-12)));
  return (t, p) => tf.neg(tf.sum(tf.mul(normalize(t), normalize(p)), axis));
}
