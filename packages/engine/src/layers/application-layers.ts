import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { getInitializer } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";

// Layer classes defined by keras.applications modules (not keras.layers) that their models'
// configs name: Keras serializes them with the application's module and their class name.

const one = (x: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(x) ? x[0]! : x);

/** Options of LayerScale. */
export interface LayerScaleArgs extends LayerArgs {
  /** The initial value of every scale. */
  readonly initValues: number;
  /** The size of the last axis (the number of scales). */
  readonly projectionDim: number;
}

/** keras.applications.convnext.LayerScale: multiplies the last axis by a trained vector `gamma`. */
export class LayerScale extends Layer {
  static override readonly className: string = "LayerScale";
  static override readonly module: string = "keras.src.applications.convnext";
  static readonly registeredName: string = "LayerScale";
  static override readonly fields = [
    field("init_values", "initValues", null),
    field("projection_dim", "projectionDim", null),
  ];
  declare readonly initValues: number;
  declare readonly projectionDim: number;
  gamma: Variable | undefined;

  constructor(args: LayerScaleArgs) {
    super(args);
    if (typeof this.initValues !== "number" || !Number.isInteger(this.projectionDim) || this.projectionDim < 1) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `LayerScale layer "${this.name}"`,
          `expected a number init_values and a positive integer projection_dim, got ${String(this.initValues)} and ${String(this.projectionDim)}`,
        ),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    // Keras adds the weight without a name: it is "variable" in the files.
    this.gamma = this.addWeight({
      name: "variable",
      shape: [this.projectionDim],
      initializer: getInitializer({ class_name: "Constant", config: { value: this.initValues } }, "Zeros"),
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(one(inputs), this.gamma!.value);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Options of StochasticDepth. */
export interface StochasticDepthArgs extends LayerArgs {
  /** The probability of dropping a sample's residual path in training. */
  readonly dropPathRate: number;
}

/**
 * keras.applications.convnext.StochasticDepth: in training, each sample's input is zeroed with
 * probability `drop_path_rate` and the others scaled by `1 / (1 - rate)`; at inference it is the identity.
 */
export class StochasticDepth extends Layer {
  static override readonly className: string = "StochasticDepth";
  static override readonly module: string = "keras.src.applications.convnext";
  static readonly registeredName: string = "StochasticDepth";
  static override readonly fields = [field("drop_path_rate", "dropPathRate", null)];
  declare readonly dropPathRate: number;

  constructor(args: StochasticDepthArgs) {
    super(args);
    if (typeof this.dropPathRate !== "number" || this.dropPathRate < 0 || this.dropPathRate >= 1) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `StochasticDepth layer "${this.name}"`,
          `drop_path_rate must be in [0, 1), got ${String(this.dropPathRate)}`,
        ),
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = one(inputs);
    if (options.training !== true || this.dropPathRate === 0) return x;
    const keep = 1 - this.dropPathRate;
    return tf.tidy(() => {
      const mask = tf.floor(tf.add(tf.randomUniform([x.shape[0]!, ...x.shape.slice(1).map(() => 1)]), keep));
      return tf.mul(tf.div(x, keep), mask);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}
