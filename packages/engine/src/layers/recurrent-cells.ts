import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import type { Activation, ActivationLike } from "../activations.js";
import { type ConfigField, field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import { Initializer, type InitializerLike } from "../initializers.js";
import { Layer, type LayerArgs } from "../layer.js";
import { dense, denseForward } from "../ops/dense.js";
import { matMul } from "../ops/matmul.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { oneShape } from "./layer-utils.js";

/** Options every recurrent cell takes (and every recurrent layer passes on). */
export interface CellArgs extends LayerArgs {
  readonly units: number;
  readonly activation?: ActivationLike | undefined;
  readonly recurrentActivation?: ActivationLike | undefined;
  readonly useBias?: boolean | undefined;
  readonly kernelInitializer?: InitializerLike | undefined;
  readonly recurrentInitializer?: InitializerLike | undefined;
  readonly biasInitializer?: InitializerLike | undefined;
  readonly unitForgetBias?: boolean | undefined;
  readonly kernelRegularizer?: RegularizerLike | null | undefined;
  readonly recurrentRegularizer?: RegularizerLike | null | undefined;
  readonly biasRegularizer?: RegularizerLike | null | undefined;
  readonly kernelConstraint?: ConstraintLike | null | undefined;
  readonly recurrentConstraint?: ConstraintLike | null | undefined;
  readonly biasConstraint?: ConstraintLike | null | undefined;
  /** Accepted and kept; training-time dropout inside the recurrence is not applied. */
  readonly dropout?: number | undefined;
  readonly recurrentDropout?: number | undefined;
  readonly seed?: number | null | undefined;
  /** GRU: apply the reset gate after the recurrent product (Keras 3's default, true). */
  readonly resetAfter?: boolean | undefined;
}

/**
 * The `n` equal column blocks of a 2-D tensor. Inference slices (faster than tf.split on WASM);
 * training splits, whose gradient is one concat where each slice's is a pad to the whole width
 * (then summed).
 */
function blocks(z: tf.Tensor, n: number, training = false): tf.Tensor2D[] {
  if (training) return tf.split(z, n, 1) as tf.Tensor2D[];
  const [rows, cols] = z.shape as [number, number];
  const w = cols / n;
  return Array.from({ length: n }, (_, i) => tf.slice(z, [0, i * w], [rows, w]) as tf.Tensor2D);
}

/** `a @ b`; in training with the explicit-transpose gradient of ops/matmul.ts (tfjs's transposed products are slow on WASM). */
function product(a: tf.Tensor, b: tf.Tensor, training = false): tf.Tensor2D {
  return training
    ? matMul(a as tf.Tensor2D, b as tf.Tensor2D)
    : (tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) as tf.Tensor2D);
}

/** The config fields of a cell, in Keras's order; `lstm` adds recurrent_activation and unit_forget_bias, `gru` reset_after. */
export function cellFields(kind: "simple" | "lstm" | "gru"): ConfigField[] {
  return [
    field("units", "units", null),
    field("activation", "activation", "tanh", "activation"),
    ...(kind === "simple" ? [] : [field("recurrent_activation", "recurrentActivation", "sigmoid", "activation")]),
    field("use_bias", "useBias", true),
    field("kernel_initializer", "kernelInitializer", "GlorotUniform", "initializer"),
    field("recurrent_initializer", "recurrentInitializer", "Orthogonal", "initializer"),
    field("bias_initializer", "biasInitializer", "Zeros", "initializer"),
    ...(kind === "lstm" ? [field("unit_forget_bias", "unitForgetBias", true)] : []),
    field("kernel_regularizer", "kernelRegularizer", null, "regularizer"),
    field("recurrent_regularizer", "recurrentRegularizer", null, "regularizer"),
    field("bias_regularizer", "biasRegularizer", null, "regularizer"),
    field("kernel_constraint", "kernelConstraint", null, "constraint"),
    field("recurrent_constraint", "recurrentConstraint", null, "constraint"),
    field("bias_constraint", "biasConstraint", null, "constraint"),
    field("dropout", "dropout", 0),
    field("recurrent_dropout", "recurrentDropout", 0),
    ...(kind === "gru" ? [field("reset_after", "resetAfter", true)] : []),
    ...(kind === "simple" ? [] : [field("seed", "seed", null)]),
  ];
}

/**
 * One step of a recurrence. The layer projects the whole input sequence through `kernel` once
 * (`project`), then calls `step` per time step with that step's projection and the states.
 */
export abstract class RNNCell extends Layer {
  declare readonly units: number;
  declare readonly activation: Activation;
  declare readonly useBias: boolean;
  declare readonly kernelInitializer: Initializer;
  declare readonly recurrentInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly recurrentRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly recurrentConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;
  kernel: Variable | undefined;
  recurrentKernel: Variable | undefined;
  bias: Variable | undefined;

  constructor(args: CellArgs) {
    super(args);
    if (!Number.isSafeInteger(this.units) || this.units <= 0) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `${this.className} "${this.name}"`,
          `units must be a positive integer, got ${String(this.units)}`,
        ),
      );
    }
  }

  /** How many state tensors the cell carries (LSTM: h and c). */
  get stateCount(): number {
    return 1;
  }

  /** The gates per unit: 1 (SimpleRNN), 4 (LSTM), 3 (GRU). */
  protected abstract get gates(): number;

  /** The bias's shape and first value. */
  protected biasSpec(): { shape: number[]; init: Initializer } {
    return { shape: [this.gates * this.units], init: this.biasInitializer };
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const inDim = shape[shape.length - 1];
    if (typeof inDim !== "number") {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `${this.className} "${this.name}"`,
          `the feature axis must be known, got ${JSON.stringify(shape)}`,
        ),
      );
    }
    const n = this.gates * this.units;
    this.kernel = this.addWeight({
      name: "kernel",
      shape: [inDim, n],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    this.recurrentKernel = this.addWeight({
      name: "recurrent_kernel",
      shape: [this.units, n],
      initializer: this.recurrentInitializer,
      regularizer: this.recurrentRegularizer,
      constraint: this.recurrentConstraint,
    });
    if (this.useBias) {
      const spec = this.biasSpec();
      this.bias = this.addWeight({
        name: "bias",
        shape: spec.shape,
        initializer: spec.init,
        regularizer: this.biasRegularizer,
        constraint: this.biasConstraint,
      });
    }
    super.build(inputShape);
  }

  /** The input bias added to the projection (the whole bias, or GRU's first row). */
  protected inputBias(): tf.Tensor | undefined {
    return this.bias?.value;
  }

  /** `x @ kernel + input bias` for `x` of shape `[n, features]`. */
  project(x: tf.Tensor2D, training = false): tf.Tensor2D {
    const b = this.inputBias();
    // One fused product-and-bias kernel (ops/dense.ts), with its own gradient in training; for
    // the whole bias variable only (WASM's fused kernel reads a reshaped slice's old shape).
    if (b !== undefined && b === this.bias?.value && b.rank === 1)
      return (training ? dense : denseForward)(x, this.kernel!.value as tf.Tensor2D, b as tf.Tensor1D);
    const y = product(x, this.kernel!.value, training);
    return (b === undefined ? y : tf.add(y, b)) as tf.Tensor2D;
  }

  /** Per-call constants (recurrent kernel slices), computed once per sequence. */
  prepare(): tf.Tensor[] {
    return [];
  }

  /** One step: the projected input and the states in; the output and the new states out. */
  abstract step(
    xp: tf.Tensor2D,
    states: tf.Tensor2D[],
    consts: tf.Tensor[],
    training?: boolean,
  ): [tf.Tensor2D, tf.Tensor2D[]];
}

/** `h = activation(x @ kernel + h @ recurrent_kernel + bias)`. */
export class SimpleRNNCell extends RNNCell {
  static override readonly className: string = "SimpleRNNCell";
  static override readonly fields = cellFields("simple");

  protected get gates(): number {
    return 1;
  }

  step(
    xp: tf.Tensor2D,
    states: tf.Tensor2D[],
    _consts: tf.Tensor[] = [],
    training = false,
  ): [tf.Tensor2D, tf.Tensor2D[]] {
    const h = this.activation.fn(tf.add(xp, product(states[0]!, this.recurrentKernel!.value, training))) as tf.Tensor2D;
    return [h, [h]];
  }
}

/** The LSTM cell: gates i, f, c, o in that order along the kernels' last axis. */
export class LSTMCell extends RNNCell {
  static override readonly className: string = "LSTMCell";
  static override readonly fields = cellFields("lstm");
  declare readonly recurrentActivation: Activation;
  declare readonly unitForgetBias: boolean;

  override get stateCount(): number {
    return 2;
  }

  protected get gates(): number {
    return 4;
  }

  protected override biasSpec(): { shape: number[]; init: Initializer } {
    const units = this.units;
    const base = this.biasInitializer;
    if (!this.unitForgetBias) return { shape: [4 * units], init: base };
    // Keras: the initializer's values, with the forget gate's slice set to ones.
    const init = new Initializer(base.className, base.getConfig(), (_shape, dtype) =>
      tf.tidy(() => tf.concat([base.apply([units], dtype), tf.ones([units], dtype), base.apply([2 * units], dtype)])),
    );
    return { shape: [4 * units], init };
  }

  step(
    xp: tf.Tensor2D,
    states: tf.Tensor2D[],
    _consts: tf.Tensor[] = [],
    training = false,
  ): [tf.Tensor2D, tf.Tensor2D[]] {
    const z = tf.add(xp, product(states[0]!, this.recurrentKernel!.value, training));
    const [zi, zf, zc, zo] = blocks(z, 4, training) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const ra = this.recurrentActivation.fn;
    const c = tf.add(tf.mul(ra(zf), states[1]!), tf.mul(ra(zi), this.activation.fn(zc))) as tf.Tensor2D;
    const h = tf.mul(ra(zo), this.activation.fn(c)) as tf.Tensor2D;
    return [h, [h, c]];
  }
}

/**
 * The GRU cell: gates z, r, h. With `reset_after` (Keras 3's default) the bias is `[2, 3 * units]`
 * (input and recurrent rows) and the reset gate multiplies the recurrent product; without, the
 * bias is `[3 * units]` and the reset gate multiplies the state before its product.
 */
export class GRUCell extends RNNCell {
  static override readonly className: string = "GRUCell";
  static override readonly fields = cellFields("gru");
  declare readonly recurrentActivation: Activation;
  declare readonly resetAfter: boolean;

  protected get gates(): number {
    return 3;
  }

  protected override biasSpec(): { shape: number[]; init: Initializer } {
    return { shape: this.resetAfter ? [2, 3 * this.units] : [3 * this.units], init: this.biasInitializer };
  }

  protected override inputBias(): tf.Tensor | undefined {
    const b = this.bias?.value;
    if (b === undefined || !this.resetAfter) return b;
    return tf.reshape(tf.slice(b, [0, 0], [1, -1]), [-1]);
  }

  override prepare(): tf.Tensor[] {
    const rk = this.recurrentKernel!.value as tf.Tensor2D;
    const u = this.units;
    if (this.resetAfter) {
      const b = this.bias?.value;
      return b === undefined ? [] : [tf.reshape(tf.slice(b, [1, 0], [1, -1]), [-1])];
    }
    return [tf.slice(rk, [0, 0], [u, 2 * u]), tf.slice(rk, [0, 2 * u], [u, u])];
  }

  step(xp: tf.Tensor2D, states: tf.Tensor2D[], consts: tf.Tensor[], training = false): [tf.Tensor2D, tf.Tensor2D[]] {
    const h0 = states[0]!;
    const ra = this.recurrentActivation.fn;
    const [xz, xr, xh] = blocks(xp, 3, training) as [tf.Tensor, tf.Tensor, tf.Tensor];
    let hh: tf.Tensor;
    let z: tf.Tensor;
    if (this.resetAfter) {
      let inner: tf.Tensor = product(h0, this.recurrentKernel!.value, training);
      if (consts[0] !== undefined) inner = tf.add(inner, consts[0]);
      const [rz, rr, rh] = blocks(inner, 3, training) as [tf.Tensor, tf.Tensor, tf.Tensor];
      z = ra(tf.add(xz, rz));
      const r = ra(tf.add(xr, rr));
      hh = this.activation.fn(tf.add(xh, tf.mul(r, rh)));
    } else {
      const [rz, rr] = blocks(product(h0, consts[0]!, training), 2, training) as [tf.Tensor, tf.Tensor];
      z = ra(tf.add(xz, rz));
      const r = ra(tf.add(xr, rr));
      hh = this.activation.fn(tf.add(xh, product(tf.mul(r, h0), consts[1]!, training)));
    }
    const h = tf.add(tf.mul(z, h0), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
    return [h, [h]];
  }
}
