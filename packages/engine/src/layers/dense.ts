import * as tf from "@tensorflow/tfjs-core";
import { cannot, formatShape } from "@kerastore/core";
import type { Activation, ActivationLike } from "../activations.js";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import { type DenseActivation, dense, denseForward, isDenseActivation } from "../ops/dense.js";
import { attachLogits, attachedLogits } from "../training/losses/logits.js";
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

// The activations ops/dense.ts fuses into the product and differentiates itself. Sigmoid is
// not among them here: its logits must stay visible to crossentropy (attachLogits).
const FUSED = new Set<string>(["linear", "relu", "relu6", "tanh", "elu"]);

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
      throw new EngineError(
        "invalid-argument",
        cannot("make", `Dense layer "${this.name}"`, `units must be a positive integer, got ${String(this.units)}`),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const inDim = shape[shape.length - 1];
    if (typeof inDim !== "number") {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `Dense layer "${this.name}"`,
          `the last input axis must be known, got ${JSON.stringify(shape)}`,
        ),
      );
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

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = inputs as tf.Tensor;
    const kernel = this.kernel!.value as tf.Tensor2D;
    const bias = (this.bias?.value ?? null) as tf.Tensor1D | null;
    const name = this.activation.builtin ? this.activation.name : "";
    const fused = FUSED.has(name) && isDenseActivation(name);
    // The tidy keeps the output and the logits a softmax or sigmoid recorded for it.
    const [y, logits] = tf.tidy(() => {
      const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, x.shape[x.rank - 1]!]) as tf.Tensor2D);
      // Training takes the product with the fast custom gradient; inference the bare fused kernel.
      const product = options.training === true ? dense : denseForward;
      const z = product(flat, kernel, bias, fused ? (name as DenseActivation) : "linear");
      const out = fused ? z : this.activation.fn(z);
      const shaped = x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), this.units]);
      const l = attachedLogits(out);
      return l === undefined
        ? [shaped]
        : [shaped, x.rank === 2 ? l : tf.reshape(l, [...x.shape.slice(0, -1), this.units])];
    });
    return logits === undefined ? y! : attachLogits(y!, logits);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    // As Keras's input spec: a built Dense takes only inputs whose last axis is its kernel's rows.
    const rows = this.kernel?.shape[0];
    const last = shape[shape.length - 1];
    if (rows !== undefined && typeof last === "number" && last !== rows) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "call",
          `Dense layer "${this.name}"`,
          `its kernel ${formatShape(this.kernel!.shape)} takes inputs with last axis ${rows}, got shape ${formatShape(shape)}`,
        ),
      );
    }
    return [...shape.slice(0, -1), this.units];
  }
}
