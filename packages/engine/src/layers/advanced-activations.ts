import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { one, oneShape } from "./layer-utils.js";

/** `x` above zero, `alpha * (exp(x) - 1)` below. */
export class ELU extends Layer {
  static override readonly className: string = "ELU";
  static override readonly fields = [field("alpha", "alpha", 1)];
  declare readonly alpha: number;

  constructor(args: LayerArgs & { readonly alpha?: number } = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    if (this.alpha === 1) return tf.elu(x);
    return tf.tidy(() => tf.where(tf.greater(x, 0), x, tf.mul(this.alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1))));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** `x` above `theta`, zero otherwise (Keras 2's ThresholdedReLU; Keras 3 dropped the class). */
export class ThresholdedReLU extends Layer {
  static override readonly className: string = "ThresholdedReLU";
  static override readonly fields = [field("theta", "theta", 1)];
  declare readonly theta: number;

  constructor(args: LayerArgs & { readonly theta?: number } = {}) {
    super(args);
    if (typeof this.theta !== "number" || !(this.theta >= 0)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `ThresholdedReLU layer "${this.name}"`,
          `theta must be a number >= 0, got ${String(this.theta)}`,
        ),
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.tidy(() => tf.mul(x, tf.cast(tf.greater(x, this.theta), x.dtype)));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Options of PReLU. */
export interface PReLUArgs extends LayerArgs {
  readonly alphaInitializer?: InitializerLike | undefined;
  readonly alphaRegularizer?: RegularizerLike | null | undefined;
  readonly alphaConstraint?: ConstraintLike | null | undefined;
  /** Axes (1-based, without the batch) along which the slopes are shared. */
  readonly sharedAxes?: number | readonly number[] | null | undefined;
}

/** A ReLU with a learned slope per element below zero: `max(x, 0) + alpha * min(x, 0)`; weight `alpha`. */
export class PReLU extends Layer {
  static override readonly className: string = "PReLU";
  static override readonly fields = [
    field("alpha_initializer", "alphaInitializer", "Zeros", "initializer"),
    field("alpha_regularizer", "alphaRegularizer", null, "regularizer"),
    field("alpha_constraint", "alphaConstraint", null, "constraint"),
    field("shared_axes", "sharedAxes", null),
  ];
  declare readonly alphaInitializer: Initializer;
  declare readonly alphaRegularizer: Regularizer | null;
  declare readonly alphaConstraint: Constraint | null;
  declare sharedAxes: number[] | null;
  alpha: Variable | undefined;

  constructor(args: PReLUArgs = {}) {
    super(args);
    if (typeof this.sharedAxes === "number") this.sharedAxes = [this.sharedAxes];
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape).slice(1);
    const param = shape.map((d, i) => (this.sharedAxes?.includes(i + 1) ? 1 : d));
    if (param.some((d) => typeof d !== "number")) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `PReLU layer "${this.name}"`,
          `its input shape ${JSON.stringify(oneShape(inputShape))} has unknown axes that are not shared_axes`,
        ),
      );
    }
    this.alpha = this.addWeight({
      name: "alpha",
      shape: param as number[],
      initializer: this.alphaInitializer,
      regularizer: this.alphaRegularizer,
      constraint: this.alphaConstraint,
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    const alpha = this.alpha!.value;
    return tf.tidy(() => tf.add(tf.relu(x), tf.mul(alpha, tf.minimum(x, 0))));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override getConfig(): JsonObject {
    return super.getConfig();
  }
}
