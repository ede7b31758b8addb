import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";

/**
 * A stateful Keras metric: `updateState` per batch, `result`, `reset`.
 *
 * State lives on the host in float64: the WASM backend runs kernels synchronously, so reading
 * a batch's few values back costs a copy, not a stall.
 */
export abstract class Metric {
  /** The Keras class name. */
  abstract readonly className: string;

  constructor(
    /** The metric's name, as history and logs show it. */
    public name: string,
  ) {}

  /** Accumulates one batch. */
  abstract updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void;

  /** The current value. */
  abstract result(): number;

  /** Clears the state (Keras's `reset_state`). */
  abstract reset(): void;

  /** The class's own config keys. */
  protected ownConfig(): JsonObject {
    return {};
  }

  /** Keras 3 `get_config()`. */
  getConfig(): JsonObject {
    return { name: this.name, dtype: "float32", ...this.ownConfig() };
  }
}

/** The weighted mean of values (Keras's `Mean`): values are averaged per sample first. */
export class Mean extends Metric {
  readonly className: string = "Mean";
  protected total = 0;
  protected count = 0;

  constructor(name = "mean") {
    super(name);
  }

  updateState(values: tf.Tensor, _unused?: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    this.updateValues(values, sampleWeight ?? null);
  }

  /** Adds values (any shape, first axis = samples) with optional per-sample weights. */
  updateValues(values: tf.Tensor, sampleWeight: tf.Tensor | null): void {
    const [total, count] = tf.tidy(() => samplewise(values, sampleWeight));
    this.total += total;
    this.count += count;
  }

  /** Adds one already-averaged value with weight `count` (the loss tracker's batch size). */
  add(value: number, count = 1): void {
    this.total += value * count;
    this.count += count;
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}

/** The weighted sum of values (Keras's `Sum`). */
export class Sum extends Mean {
  override readonly className: string = "Sum";

  constructor(name = "sum") {
    super(name);
  }

  override result(): number {
    return this.total;
  }
}

/**
 * Keras's `reduce_to_samplewise_values` followed by `Mean.update_state`: the weighted sum and
 * the count (sum of weights, or number of samples).
 */
export function samplewise(values: tf.Tensor, sampleWeight: tf.Tensor | null): [number, number] {
  let v = tf.cast(values, "float32");
  if (sampleWeight === null) {
    if (v.rank > 1) v = tf.mean(v, range(1, v.rank));
    return [tf.sum(v).dataSync()[0]!, v.rank === 0 ? 1 : v.shape[0]!];
  }
  let w = tf.cast(sampleWeight, "float32");
  if (v.rank === w.rank + 1 && v.shape[v.rank - 1] === 1) w = tf.expandDims(w, -1);
  else if (w.rank === v.rank + 1 && w.shape[w.rank - 1] === 1) w = tf.squeeze(w, [-1]);
  if (v.rank > w.rank) v = tf.mean(v, range(w.rank, v.rank));
  w = tf.broadcastTo(w, v.shape);
  let weighted = tf.mul(v, w);
  if (w.rank > 1) w = tf.mean(w, range(1, w.rank));
  if (weighted.rank > 1) weighted = tf.mean(weighted, range(1, weighted.rank));
  return [tf.sum(weighted).dataSync()[0]!, tf.sum(w).dataSync()[0]!];
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** A function of (y_true, y_pred) giving per-sample (or per-element) values. */
export type MetricFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/** The mean of a function's values (Keras's `MeanMetricWrapper`): MAE, accuracy, ... */
export class MeanMetricWrapper extends Mean {
  override readonly className: string;

  constructor(
    className: string,
    name: string,
    readonly fn: MetricFunction,
    private readonly extra: JsonObject = {},
  ) {
    super(name);
    this.className = className;
  }

  override updateState(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): void {
    const values = tf.tidy(() => this.fn(yTrue, yPred));
    try {
      this.updateValues(values, sampleWeight ?? null);
    } finally {
      values.dispose();
    }
  }

  protected override ownConfig(): JsonObject {
    return { ...this.extra };
  }
}

/** sqrt of the mean squared error (Keras's `RootMeanSquaredError`). */
export class RootMeanSquaredError extends MeanMetricWrapper {
  constructor(name = "root_mean_squared_error") {
    super("RootMeanSquaredError", name, (t, p) => tf.square(tf.sub(p, t)));
  }

  override result(): number {
    return Math.sqrt(super.result());
  }
}
