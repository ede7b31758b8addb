import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import type { Constraint } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer } from "../initializers.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Regularizer } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { one, oneShape } from "./layer-utils.js";

const axesOf = (axis: number | number[], rank: number): number[] =>
  (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));

/** Each sample divided by its L2 norm over `axis` (`x / max(||x||, 1e-12)`). */
export class UnitNormalization extends Layer {
  static override readonly className: string = "UnitNormalization";
  static override readonly fields = [field("axis", "axis", -1)];
  declare readonly axis: number | number[];

  constructor(args: LayerArgs & { readonly axis?: number | number[] } = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.tidy(() => tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), axesOf(this.axis, x.rank), true)), 1e-12)));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Options of GroupNormalization. */
export interface GroupNormalizationArgs extends LayerArgs {
  readonly groups?: number | undefined;
  readonly axis?: number | undefined;
  readonly epsilon?: number | undefined;
  readonly center?: boolean | undefined;
  readonly scale?: boolean | undefined;
}

/** Normalizes groups of channels per sample (over the spatial axes and the group's channels); weights `gamma`, `beta` per channel. */
export class GroupNormalization extends Layer {
  static override readonly className: string = "GroupNormalization";
  static override readonly fields = [
    field("groups", "groups", 32),
    field("axis", "axis", -1),
    field("epsilon", "epsilon", 1e-3),
    field("center", "center", true),
    field("scale", "scale", true),
    field("beta_initializer", "betaInitializer", "Zeros", "initializer"),
    field("gamma_initializer", "gammaInitializer", "Ones", "initializer"),
    field("beta_regularizer", "betaRegularizer", null, "regularizer"),
    field("gamma_regularizer", "gammaRegularizer", null, "regularizer"),
    field("beta_constraint", "betaConstraint", null, "constraint"),
    field("gamma_constraint", "gammaConstraint", null, "constraint"),
  ];
  declare readonly groups: number;
  declare readonly axis: number;
  declare readonly epsilon: number;
  declare readonly center: boolean;
  declare readonly scale: boolean;
  declare readonly betaInitializer: Initializer;
  declare readonly gammaInitializer: Initializer;
  declare readonly betaRegularizer: Regularizer | null;
  declare readonly gammaRegularizer: Regularizer | null;
  declare readonly betaConstraint: Constraint | null;
  declare readonly gammaConstraint: Constraint | null;
  gamma: Variable | undefined;
  beta: Variable | undefined;

  constructor(args: GroupNormalizationArgs = {}) {
    super(args);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
    const c = shape[axis];
    if (typeof c !== "number" || !Number.isSafeInteger(this.groups) || this.groups < 1 || c % this.groups !== 0) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `GroupNormalization layer "${this.name}"`,
          `axis ${this.axis} has ${String(c)} channels, which do not divide into ${this.groups} groups`,
        ),
      );
    }
    if (this.scale)
      this.gamma = this.addWeight({
        name: "gamma",
        shape: [c],
        initializer: this.gammaInitializer,
        regularizer: this.gammaRegularizer,
        constraint: this.gammaConstraint,
      });
    if (this.center)
      this.beta = this.addWeight({
        name: "beta",
        shape: [c],
        initializer: this.betaInitializer,
        regularizer: this.betaRegularizer,
        constraint: this.betaConstraint,
      });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.tidy(() => {
      const axis = this.axis < 0 ? this.axis + x.rank : this.axis;
      const c = x.shape[axis]!;
      // [..., groups, c / groups] in place of the channel axis.
      const grouped = tf.reshape(x, [
        ...x.shape.slice(0, axis),
        this.groups,
        c / this.groups,
        ...x.shape.slice(axis + 1),
      ]);
      const reduce = grouped.shape.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
      const { mean, variance } = tf.moments(grouped, reduce, true);
      const inv = tf.rsqrt(tf.add(variance, this.epsilon));
      const normalized = tf.reshape(tf.add(tf.mul(grouped, inv), tf.mul(tf.neg(mean), inv)), x.shape);
      const broadcast = x.shape.map((d, i) => (i === axis ? d : 1));
      let y: tf.Tensor = normalized;
      if (this.gamma !== undefined) y = tf.mul(y, tf.reshape(this.gamma.value, broadcast));
      if (this.beta !== undefined) y = tf.add(y, tf.reshape(this.beta.value, broadcast));
      return y;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Options of Normalization. */
export interface NormalizationArgs extends LayerArgs {
  readonly axis?: number | readonly number[] | null | undefined;
  readonly mean?: JsonValue | undefined;
  readonly variance?: JsonValue | undefined;
  readonly invert?: boolean | undefined;
}

// Keras's backend epsilon: the smallest standard deviation Normalization divides by.
const EPSILON = 1e-7;

/**
 * Feature-wise standardization `(x - mean) / sqrt(variance)` with the statistics `adapt` found
 * (non-trainable weights `mean`, `variance`), or given in the config; `invert` undoes it.
 */
export class Normalization extends Layer {
  static override readonly className: string = "Normalization";
  static override readonly fields = [
    field("axis", "axis", -1),
    field("invert", "invert", false),
    field("mean", "mean", null),
    field("variance", "variance", null),
  ];
  declare axis: number[];
  declare readonly invert: boolean;
  declare readonly mean: JsonValue;
  declare readonly variance: JsonValue;
  meanWeight: Variable | undefined;
  varianceWeight: Variable | undefined;
  private fixed: [tf.Tensor, tf.Tensor] | undefined;
  private broadcast: number[] = [];

  constructor(args: NormalizationArgs = {}) {
    super(args);
    const axis = this.axis as unknown;
    this.axis = axis === null ? [] : typeof axis === "number" ? [axis] : [...(axis as number[])];
    if ((this.mean === null) !== (this.variance === null)) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `Normalization layer "${this.name}"`, "mean and variance must be given together"),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const axes = axesOf(this.axis, shape.length);
    const kept = axes.map((a) => shape[a]);
    if (kept.some((d) => typeof d !== "number")) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `Normalization layer "${this.name}"`,
          `the axes it keeps (${axes.join(", ")}) of ${JSON.stringify(shape)} must be known`,
        ),
      );
    }
    this.broadcast = shape.map((d, i) => (axes.includes(i) ? (d as number) : 1));
    if (this.mean === null) {
      this.meanWeight = this.addWeight({
        name: "mean",
        shape: kept as number[],
        initializer: "Zeros",
        trainable: false,
      });
      this.varianceWeight = this.addWeight({
        name: "variance",
        shape: kept as number[],
        initializer: "Ones",
        trainable: false,
      });
      // How many samples adapt saw (Keras's int64; int32 here, as the engine's integer dtype).
      this.addWeight({ name: "count", shape: [], dtype: "int32", initializer: "Zeros", trainable: false });
    } else {
      const make = (v: JsonValue) =>
        tf.keep(tf.reshape(tf.mul(tf.ones(this.broadcast), tf.tensor(v as number | number[])), this.broadcast));
      this.fixed = [make(this.mean), make(this.variance)];
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = tf.cast(one(inputs), "float32");
    return tf.tidy(() => {
      const [mean, variance] = this.fixed ?? [
        tf.reshape(this.meanWeight!.value, this.broadcast),
        tf.reshape(this.varianceWeight!.value, this.broadcast),
      ];
      const std = tf.maximum(tf.sqrt(variance), EPSILON);
      return this.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override getConfig(): JsonObject {
    return super.getConfig();
  }

  override dispose(): void {
    if (this.fixed !== undefined) tf.dispose(this.fixed);
    this.fixed = undefined;
    super.dispose();
  }
}
