import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import type { Activation, ActivationLike } from "../activations.js";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";

/** Options of a Dense layer. */
export interface DenseArgs extends LayerArgs {
  readonly units: number;
  readonly activation?: ActivationLike | undefined;
  readonly useBias?: boolean | undefined;
  readonly kernelInitializer?: InitializerLike | undefined;
  readonly biasInitializer?: InitializerLike | undefined;
  readonly kernelRegularizer?: RegularizerLike | null | undefined;
  readonly biasRegularizer?: RegularizerLike | null | undefined;
  readonly kernelConstraint?: ConstraintLike | null | undefined;
  readonly biasConstraint?: ConstraintLike | null | undefined;
}

// The activations tfjs can fuse into its matMul kernel.
const FUSED = new Set(["linear", "relu", "relu6", "sigmoid", "elu"]);

/** `activation(x @ kernel + bias)`. The kernel is `[in, out]`, so the product needs no transpose. */
export class Dense extends Layer {
  static override readonly className: string = "Dense";
  static override readonly fields = [
    field("units", "units", null),
    field("activation", "activation", "linear", "activation"),
    field("use_bias", "useBias", true),
    field("kernel_initializer", "kernelInitializer", "GlorotUniform", "initializer"),
    field("bias_initializer", "biasInitializer", "Zeros", "initializer"),
    field("kernel_regularizer", "kernelRegularizer", null, "regularizer"),
    field("bias_regularizer", "biasRegularizer", null, "regularizer"),
    field("kernel_constraint", "kernelConstraint", null, "constraint"),
    field("bias_constraint", "biasConstraint", null, "constraint"),
    field("quantization_config", "quantizationConfig", null),
  ];
  declare readonly units: number;
  declare readonly activation: Activation;
  declare readonly useBias: boolean;
  declare readonly kernelInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;
  kernel: Variable | undefined;
  bias: Variable | undefined;

  constructor(args: DenseArgs) {
    super(args);
    if (!Number.isSafeInteger(this.units) || this.units <= 0) {
      throw new EngineError("invalid-argument", cannot("make", `Dense layer "${this.name}"`, `units must be a positive integer, got ${String(this.units)}`));
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const inDim = shape[shape.length - 1];
    if (typeof inDim !== "number") {
      throw new EngineError("invalid-shape", cannot("build", `Dense layer "${this.name}"`, `the last input axis must be known, got ${JSON.stringify(shape)}`));
    }
    this.kernel = this.addWeight({
      name: "kernel",
      shape: [inDim, this.units],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    if (this.useBias) {
      this.bias = this.addWeight({
        name: "bias",
        shape: [this.units],
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
        constraint: this.biasConstraint,
      });
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _options: CallOptions): tf.Tensor {
    const x = inputs as tf.Tensor;
    const kernel = this.kernel!.value;
    const bias = this.bias?.value;
    const name = this.activation.builtin ? this.activation.name : "";
    return tf.tidy(() => {
      const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, x.shape[x.rank - 1]!]) as tf.Tensor2D;
      let y: tf.Tensor;
      if (FUSED.has(name)) {
        y = tf.fused.matMul({
          a: flat,
          b: kernel as tf.Tensor2D,
          ...(bias === undefined ? {} : { bias }),
          activation: name as "linear" | "relu" | "relu6" | "sigmoid" | "elu",
        });
      } else {
        y = tf.matMul(flat, kernel as tf.Tensor2D);
        if (bias !== undefined) y = tf.add(y, bias);
        y = this.activation.fn(y);
      }
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.units]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(inputShape as Shape).slice(0, -1), this.units];
  }
}
