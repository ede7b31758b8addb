import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import { batchNormTrain } from "../ops/wasm/batch-norm-train.js";
import { relu } from "../ops/wasm/relu-train.js";
import { scaleShift } from "../ops/wasm/scale-shift.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { one, oneShape } from "./layer-utils.js";

/** Options of BatchNormalization. */
export interface BatchNormalizationArgs extends LayerArgs {
  readonly axis?: number | undefined;
  readonly momentum?: number | undefined;
  readonly epsilon?: number | undefined;
  readonly center?: boolean | undefined;
  readonly scale?: boolean | undefined;
  readonly betaInitializer?: InitializerLike | undefined;
  readonly gammaInitializer?: InitializerLike | undefined;
  readonly movingMeanInitializer?: InitializerLike | undefined;
  readonly movingVarianceInitializer?: InitializerLike | undefined;
  readonly betaRegularizer?: RegularizerLike | null | undefined;
  readonly gammaRegularizer?: RegularizerLike | null | undefined;
  readonly betaConstraint?: ConstraintLike | null | undefined;
  readonly gammaConstraint?: ConstraintLike | null | undefined;
}

const affineFields = [
  field("beta_initializer", "betaInitializer", "Zeros", "initializer"),
  field("gamma_initializer", "gammaInitializer", "Ones", "initializer"),
  field("beta_regularizer", "betaRegularizer", null, "regularizer"),
  field("gamma_regularizer", "gammaRegularizer", null, "regularizer"),
  field("beta_constraint", "betaConstraint", null, "constraint"),
  field("gamma_constraint", "gammaConstraint", null, "constraint"),
];

/** Resolves a possibly negative axis against a rank, checking it. */
function resolveAxis(axis: number, rank: number, layer: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isSafeInteger(a) || a < 0 || a >= rank) {
    throw new EngineError(
      "invalid-argument",
      cannot("build", `layer "${layer}"`, `axis ${axis} is out of range for an input of rank ${rank}`),
    );
  }
  return a;
}

/**
 * Normalizes with the moving statistics at inference; in training (and when trainable) with
 * the batch's mean and (biased) variance, moving the statistics by `momentum` as Keras 3 does.
 * Weights, in order: gamma (if scale), beta (if center), moving_mean, moving_variance.
 */
export class BatchNormalization extends Layer {
  static override readonly className: string = "BatchNormalization";
  static readonly callKwargs = { mask: null };
  static override readonly fields = [
    field("axis", "axis", -1),
    field("momentum", "momentum", 0.99),
    field("epsilon", "epsilon", 0.001),
    field("center", "center", true),
    field("scale", "scale", true),
    ...affineFields.slice(0, 2),
    field("moving_mean_initializer", "movingMeanInitializer", "Zeros", "initializer"),
    field("moving_variance_initializer", "movingVarianceInitializer", "Ones", "initializer"),
    ...affineFields.slice(2),
    field("synchronized", "synchronized", false),
    field("renorm", "renorm", false),
    field("renorm_clipping", "renormClipping", null),
    field("renorm_momentum", "renormMomentum", 0.99),
  ];
  declare axis: number;
  declare readonly momentum: number;
  declare readonly epsilon: number;
  declare readonly center: boolean;
  declare readonly scale: boolean;
  declare readonly renorm: boolean;
  declare readonly betaInitializer: Initializer;
  declare readonly gammaInitializer: Initializer;
  declare readonly movingMeanInitializer: Initializer;
  declare readonly movingVarianceInitializer: Initializer;
  declare readonly betaRegularizer: Regularizer | null;
  declare readonly gammaRegularizer: Regularizer | null;
  declare readonly betaConstraint: Constraint | null;
  declare readonly gammaConstraint: Constraint | null;
  gamma: Variable | undefined;
  beta: Variable | undefined;
  movingMean: Variable | undefined;
  movingVariance: Variable | undefined;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    // Keras 2 configs may give the axis as a one-element list.
    if (Array.isArray(this.axis) && this.axis.length === 1) this.axis = this.axis[0] as number;
    if (!Number.isSafeInteger(this.axis)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `BatchNormalization layer "${this.name}"`,
          `axis must be an integer, got ${JSON.stringify(this.axis)}`,
        ),
      );
    }
    if (this.renorm) {
      throw new EngineError(
        "unsupported",
        cannot("make", `BatchNormalization layer "${this.name}"`, "renorm is not supported"),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const axis = resolveAxis(this.axis, shape.length, this.name);
    const dim = shape[axis];
    if (typeof dim !== "number") {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `BatchNormalization layer "${this.name}"`,
          `axis ${this.axis} of input shape ${JSON.stringify(shape)} must be known`,
        ),
      );
    }
    if (this.scale)
      this.gamma = this.addWeight({
        name: "gamma",
        shape: [dim],
        initializer: this.gammaInitializer,
        regularizer: this.gammaRegularizer,
        constraint: this.gammaConstraint,
      });
    if (this.center)
      this.beta = this.addWeight({
        name: "beta",
        shape: [dim],
        initializer: this.betaInitializer,
        regularizer: this.betaRegularizer,
        constraint: this.betaConstraint,
      });
    this.movingMean = this.addWeight({
      name: "moving_mean",
      shape: [dim],
      initializer: this.movingMeanInitializer,
      trainable: false,
    });
    this.movingVariance = this.addWeight({
      name: "moving_variance",
      shape: [dim],
      initializer: this.movingVarianceInitializer,
      trainable: false,
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const training = options.training === true && this.trainable;
    // A ReLU after (../relu-fusion.ts): inside the fused kernels, or applied to the output.
    const reluAfter = options.reluAfter === true;
    return tf.tidy(() => {
      const y = this.normalize(inputs, training, reluAfter);
      return reluAfter && y.fusedRelu !== true ? relu(y.y) : y.y;
    });
  }

  /** The normalized output; `fusedRelu` when the fused kernel applied the ReLU too. */
  private normalize(
    inputs: tf.Tensor | tf.Tensor[],
    training: boolean,
    reluAfter: boolean,
  ): { y: tf.Tensor; fusedRelu?: boolean } {
    const x = tf.cast(one(inputs), "float32");
    const axis = resolveAxis(this.axis, x.rank, this.name);
    const reduce = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== axis);
    const bshape = x.shape.map((d, i) => (i === axis ? d : 1));
    let mean: tf.Tensor = this.movingMean!.value;
    let variance: tf.Tensor = this.movingVariance!.value;
    // Channels last over long runs: one fused kernel forward and one backward on WASM
    // (ops/wasm/batch-norm-train.ts). Short runs keep tf.moments (see stagedMoments).
    const fused =
      training && axis === x.rank - 1 && x.size / x.shape[axis]! > LONG_RUN
        ? batchNormTrain(
            x,
            (this.gamma?.value ?? tf.ones([x.shape[axis]!])) as tf.Tensor1D,
            (this.beta?.value ?? tf.zeros([x.shape[axis]!])) as tf.Tensor1D,
            this.epsilon,
            reluAfter,
            { mean, variance, momentum: this.momentum },
          )
        : undefined;
    if (fused !== undefined) {
      // The kernel computed the moving statistics' new values, as updateMovingStatistics does.
      if (fused.movingMean !== undefined && fused.movingVariance !== undefined) {
        this.movingMean!.value.assign(fused.movingMean);
        this.movingVariance!.value.assign(fused.movingVariance);
      } else this.updateMovingStatistics(fused.mean, fused.variance);
      return { y: fused.y, fusedRelu: reluAfter };
    }
    if (training) {
      ({ mean, variance } = stagedMoments(x, reduce, bshape));
      this.updateMovingStatistics(mean, variance);
    }
    // x * inv + (beta - mean * inv), inv = gamma / sqrt(var + eps): Keras's arrangement.
    let inv: tf.Tensor = tf.rsqrt(tf.add(variance, this.epsilon));
    if (this.gamma !== undefined) inv = tf.mul(inv, this.gamma.value);
    let shift: tf.Tensor = tf.neg(tf.mul(mean, inv));
    if (this.beta !== undefined) shift = tf.add(shift, this.beta.value);
    // Channels last: one kernel on WASM (ops/wasm/scale-shift.ts), the same bits.
    if (axis === x.rank - 1) return { y: scaleShift(x, inv as tf.Tensor1D, shift as tf.Tensor1D) };
    return { y: tf.add(tf.mul(x, tf.reshape(inv, bshape)), tf.reshape(shift, bshape)) };
  }

  /**
   * Inference's `x * inv + shift` coefficients per channel (the moving statistics), computed as
   * {@link call} computes them; for folding into a preceding convolution (../conv-bn-fold.ts).
   */
  inferenceScaleShift(): { inv: tf.Tensor1D; shift: tf.Tensor1D } {
    return tf.tidy(() => {
      let inv: tf.Tensor = tf.rsqrt(tf.add(this.movingVariance!.value, this.epsilon));
      if (this.gamma !== undefined) inv = tf.mul(inv, this.gamma.value);
      let shift: tf.Tensor = tf.neg(tf.mul(this.movingMean!.value, inv));
      if (this.beta !== undefined) shift = tf.add(shift, this.beta.value);
      return { inv: inv as tf.Tensor1D, shift: shift as tf.Tensor1D };
    });
  }

  /** Whether inference normalizes the last axis of a rank-`rank` input with plain coefficients. */
  foldsLastAxisOf(rank: number): boolean {
    return (
      this.built &&
      !this.renorm &&
      this.activityRegularizer === null &&
      (this.axis < 0 ? this.axis + rank : this.axis) === rank - 1 &&
      this.movingMean?.value.dtype === "float32"
    );
  }

  /** moving = moving * momentum + batch * (1 - momentum), for the mean and the variance. */
  private updateMovingStatistics(mean: tf.Tensor, variance: tf.Tensor): void {
    const k = this.momentum;
    // The variable keeps its new value when tidy disposes these tensors.
    this.movingMean!.value.assign(tf.add(tf.mul(this.movingMean!.value, k), tf.mul(mean, 1 - k)));
    this.movingVariance!.value.assign(tf.add(tf.mul(this.movingVariance!.value, k), tf.mul(variance, 1 - k)));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return oneShape(inputShape);
  }
}

const LONG_RUN = 4096;

/**
 * The batch mean and biased variance over `reduce`, returned per channel. tfjs's WASM reduction
 * sums a whole run sequentially in float32, so two things keep the moments near TensorFlow's
 * (whose tree reductions are accurate to ~1e-7):
 * - Runs longer than LONG_RUN values are reduced one axis at a time (a keep-dims mean per axis,
 *   last axis first): over the 10952 values per channel of an [8, 37, 37, 32] map `tf.moments`
 *   gave the variance to 3.3e-6 relative, this to 1.5e-7. Shorter runs stay one reduction, as
 *   TensorFlow sums them (staging them moved a small CNN's Adam trajectory 2e-4 from Keras's).
 * - The mean is corrected by the mean of the residuals (`m + mean(x - m)`): a sequential sum's
 *   error grows with the channel's mean, the residuals' with its spread. ResNet50V2's first
 *   BatchNormalization (512 values per channel, mean several times the spread) came out 2.4
 *   times further from float64 than Keras's; the error carried through every layer and flipped
 *   a ReLU whose exact input was 8e-5, which moved the whole training step by 2.2e-2.
 */
function stagedMoments(
  x: tf.Tensor,
  reduce: readonly number[],
  bshape: number[],
): { mean: tf.Tensor; variance: tf.Tensor } {
  const count = reduce.reduce((n, axis) => n * x.shape[axis]!, 1);
  const stagedMean = (t: tf.Tensor): tf.Tensor => {
    if (count <= LONG_RUN) return tf.mean(t, [...reduce], true);
    let out = t;
    for (const axis of [...reduce].sort((a, b) => b - a)) out = tf.mean(out, axis, true);
    return out;
  };
  // The correction has no gradient (it is zero in exact arithmetic): the mean differentiates as
  // a plain mean, whose backward pass keeps sums that are exactly zero (a bias before a
  // BatchNormalization) as near zero as before.
  const correctedMean = tf.customGrad(((input: tf.Tensor) => {
    const rough = stagedMean(input);
    const shape = input.shape;
    return {
      value: tf.add(rough, stagedMean(tf.sub(input, rough))),
      gradFunc: (dy: tf.Tensor) => [tf.mul(tf.ones(shape), tf.div(dy, count))],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const mean = correctedMean(x);
  const variance = stagedMean(tf.square(tf.sub(x, mean)));
  const channels = bshape.reduce((a, b) => a * b, 1);
  return { mean: tf.reshape(mean, [channels]), variance: tf.reshape(variance, [channels]) };
}

/** Options of LayerNormalization. */
export interface LayerNormalizationArgs extends LayerArgs {
  readonly axis?: number | readonly number[] | undefined;
  readonly epsilon?: number | undefined;
  readonly center?: boolean | undefined;
  readonly scale?: boolean | undefined;
  /** Deprecated in Keras: scales by the inverse standard deviation without centering. */
  readonly rmsScaling?: boolean | undefined;
  readonly betaInitializer?: InitializerLike | undefined;
  readonly gammaInitializer?: InitializerLike | undefined;
  readonly betaRegularizer?: RegularizerLike | null | undefined;
  readonly gammaRegularizer?: RegularizerLike | null | undefined;
  readonly betaConstraint?: ConstraintLike | null | undefined;
  readonly gammaConstraint?: ConstraintLike | null | undefined;
}

/** Normalizes each sample over `axis` (default the last): weights gamma (if scale), beta (if center). */
export class LayerNormalization extends Layer {
  static override readonly className: string = "LayerNormalization";
  static override readonly fields = [
    field("axis", "axis", -1),
    field("epsilon", "epsilon", 0.001),
    field("center", "center", true),
    field("scale", "scale", true),
    field("rms_scaling", "rmsScaling", false),
    ...affineFields,
  ];
  declare axis: number[];
  declare readonly epsilon: number;
  declare readonly center: boolean;
  declare readonly scale: boolean;
  declare readonly rmsScaling: boolean;
  declare readonly betaInitializer: Initializer;
  declare readonly gammaInitializer: Initializer;
  declare readonly betaRegularizer: Regularizer | null;
  declare readonly gammaRegularizer: Regularizer | null;
  declare readonly betaConstraint: Constraint | null;
  declare readonly gammaConstraint: Constraint | null;
  gamma: Variable | undefined;
  beta: Variable | undefined;

  constructor(args: LayerNormalizationArgs = {}) {
    super(args);
    // Keras writes the axis as a list ([-1]) whatever was given.
    const axis = (typeof this.axis === "number" ? [this.axis] : this.axis) as unknown;
    if (!Array.isArray(axis) || axis.length === 0 || !axis.every((a) => Number.isSafeInteger(a))) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `LayerNormalization layer "${this.name}"`,
          `axis must be an integer or a list of integers, got ${JSON.stringify(this.axis)}`,
        ),
      );
    }
    this.axis = [...(axis as number[])];
  }

  private axes(rank: number): number[] {
    return this.axis.map((a) => resolveAxis(a, rank, this.name)).sort((a, b) => a - b);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const dims = this.axes(shape.length).map((a) => shape[a]);
    if (dims.some((d) => typeof d !== "number")) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `LayerNormalization layer "${this.name}"`,
          `the normalized axes of ${JSON.stringify(shape)} must be known`,
        ),
      );
    }
    const wshape = dims as number[];
    if (this.scale || this.rmsScaling) {
      this.gamma = this.addWeight({
        name: "gamma",
        shape: wshape,
        initializer: this.gammaInitializer,
        regularizer: this.gammaRegularizer,
        constraint: this.gammaConstraint,
      });
    }
    if (this.center && !this.rmsScaling) {
      this.beta = this.addWeight({
        name: "beta",
        shape: wshape,
        initializer: this.betaInitializer,
        regularizer: this.betaRegularizer,
        constraint: this.betaConstraint,
      });
    }
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = tf.cast(one(inputs), "float32");
      const axes = this.axes(x.rank);
      const bshape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      const { mean, variance } = tf.moments(x, axes, true);
      let inv: tf.Tensor = tf.rsqrt(tf.add(variance, this.epsilon));
      if (this.rmsScaling) {
        const y = tf.mul(x, inv);
        return this.gamma === undefined ? y : tf.mul(y, tf.reshape(this.gamma.value, bshape));
      }
      if (this.gamma !== undefined) inv = tf.mul(inv, tf.reshape(this.gamma.value, bshape));
      let shift: tf.Tensor = tf.neg(tf.mul(mean, inv));
      if (this.beta !== undefined) shift = tf.add(shift, tf.reshape(this.beta.value, bshape));
      return tf.add(tf.mul(x, inv), shift);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return oneShape(inputShape);
  }
}
