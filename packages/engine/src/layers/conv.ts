import { cannot } from "@kerastore/core";
import * as tf from "@tensorflow/tfjs-core";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import type { CallOptions } from "../layer.js";
import { convBiasRelu } from "../ops/wasm/conv-bias-relu.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { type ConvArgs, common, FUSED, type FusedName, SpatialConv } from "./conv-base.js";
import { convOutputLength, deconvOutputLength, intTuple, oneShape } from "./layer-utils.js";

export type { ConvArgs } from "./conv-base.js";

/** A convolution (`Conv1D`, `Conv2D`): kernel `[...kernelSize, inChannels / groups, filters]`. */
abstract class Conv extends SpatialConv {
  static override readonly fields = common(true);
  declare readonly filters: number;
  declare readonly groups: number;
  declare readonly kernelInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  kernel: Variable | undefined;

  constructor(args: ConvArgs) {
    super(args, ["valid", "same", "causal"]);
    if (!Number.isSafeInteger(this.filters) || this.filters <= 0) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `${this.className} layer "${this.name}"`,
          `filters must be a positive integer, got ${String(this.filters)}`,
        ),
      );
    }
    if (!Number.isSafeInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `${this.className} layer "${this.name}"`,
          `groups must be a positive divisor of filters (${this.filters}), got ${String(this.groups)}`,
        ),
      );
    }
    if (this.padding === "causal" && this.rank !== 1) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `${this.className} layer "${this.name}"`, "causal padding exists for Conv1D only"),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    const c = this.channels(shape);
    if (c % this.groups !== 0) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `${this.className} layer "${this.name}"`,
          `the input's ${c} channels do not divide into ${this.groups} groups`,
        ),
      );
    }
    this.kernel = this.addWeight({
      name: "kernel",
      shape: [...this.kernelSize, c / this.groups, this.filters],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    this.addBias(this.filters);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _options: CallOptions): tf.Tensor {
    const kernel = this.kernel!.value;
    const name = this.activation.builtin ? this.activation.name : "";
    return this.run(inputs, (x) => {
      let input = x;
      let pad: "valid" | "same" = this.padding === "same" ? "same" : "valid";
      const kw = this.kernelSize[this.rank - 1]!;
      const strides: [number, number] = this.rank === 1 ? [1, this.strides[0]!] : [this.strides[0]!, this.strides[1]!];
      const dilations: [number, number] =
        this.rank === 1 ? [1, this.dilationRate[0]!] : [this.dilationRate[0]!, this.dilationRate[1]!];
      if (this.padding === "causal") {
        input = tf.pad(x, [
          [0, 0],
          [0, 0],
          [(kw - 1) * dilations[1], 0],
          [0, 0],
        ]);
        pad = "valid";
      }
      const k4 = (
        this.rank === 1 ? tf.reshape(kernel, [1, kw, kernel.shape[1]!, kernel.shape[2]!]) : kernel
      ) as tf.Tensor4D;
      // Without bias or activation the plain kernel: its gradient computes the input's only
      // when asked (tfjs's fused op computes it always, for a model's first layer in vain).
      const plain = name === "linear" && this.bias === undefined;
      const fused =
        name === "relu" && this.rank === 2 && this.groups === 1 && dilations[0] === 1 && dilations[1] === 1 && this.bias
          ? convBiasRelu(input as tf.Tensor4D, k4, this.bias.value, strides, pad)
          : null;
      if (fused !== null) return fused; // training: one fused kernel forward, one pass for the ReLU and bias gradients
      if (this.groups === 1 && FUSED.has(name) && !plain) {
        return tf.fused.conv2d({
          x: input,
          filter: k4,
          strides,
          pad,
          dataFormat: "NHWC",
          dilations,
          ...(this.bias === undefined ? {} : { bias: this.bias.value }),
          activation: name as FusedName,
        });
      }
      let y: tf.Tensor4D;
      if (this.groups === 1) {
        y = tf.conv2d(input, k4, strides, pad, "NHWC", dilations);
      } else {
        const xs = tf.split(input, this.groups, 3);
        const ks = tf.split(k4, this.groups, 3);
        y = tf.concat(
          xs.map((xi, g) => tf.conv2d(xi as tf.Tensor4D, ks[g] as tf.Tensor4D, strides, pad, "NHWC", dilations)),
          3,
        );
      }
      return this.finish(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(inputShape);
    const pad = this.padding === "causal" ? "valid_causal" : this.padding;
    const spatial = this.spatial(shape).map((d, i) =>
      pad === "valid_causal"
        ? convOutputLength(d, 1, "valid", this.strides[i]!)
        : convOutputLength(d, this.kernelSize[i]!, pad, this.strides[i]!, this.dilationRate[i]!),
    );
    return this.assemble(shape, spatial, this.filters);
  }
}

/** 1-D convolution over `[batch, steps, channels]`; padding `valid`, `same` or `causal`. */
export class Conv1D extends Conv {
  static override readonly className: string = "Conv1D";
  static override readonly rank: number = 1;
}

/** 2-D convolution over `[batch, rows, cols, channels]`. */
export class Conv2D extends Conv {
  static override readonly className: string = "Conv2D";
  static override readonly rank: number = 2;
}

/** Options of DepthwiseConv2D. */
export interface DepthwiseConv2DArgs
  extends Omit<ConvArgs, "filters" | "groups" | "kernelInitializer" | "kernelRegularizer" | "kernelConstraint"> {
  readonly depthMultiplier?: number | undefined;
  readonly depthwiseInitializer?: InitializerLike | undefined;
  readonly depthwiseRegularizer?: RegularizerLike | null | undefined;
  readonly depthwiseConstraint?: ConstraintLike | null | undefined;
}

const depthwiseFields = [
  field("depthwise_initializer", "depthwiseInitializer", "GlorotUniform", "initializer"),
  field("depthwise_regularizer", "depthwiseRegularizer", null, "regularizer"),
  field("depthwise_constraint", "depthwiseConstraint", null, "constraint"),
];

/** A convolution per input channel: kernel `[kh, kw, channels, depthMultiplier]`, bias `[channels * depthMultiplier]`. */
export class DepthwiseConv2D extends SpatialConv {
  static override readonly className: string = "DepthwiseConv2D";
  static override readonly fields = [
    field("depth_multiplier", "depthMultiplier", 1),
    ...common(false)
      .filter((f) => !f.key.startsWith("kernel_") || f.key === "kernel_size")
      .filter((f) => f.key !== "filters"),
    ...depthwiseFields,
  ];
  declare readonly depthMultiplier: number;
  declare readonly depthwiseInitializer: Initializer;
  declare readonly depthwiseRegularizer: Regularizer | null;
  declare readonly depthwiseConstraint: Constraint | null;
  kernel: Variable | undefined;

  constructor(args: DepthwiseConv2DArgs) {
    super(args);
    if (!Number.isSafeInteger(this.depthMultiplier) || this.depthMultiplier < 1) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `DepthwiseConv2D layer "${this.name}"`,
          `depth_multiplier must be a positive integer, got ${String(this.depthMultiplier)}`,
        ),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = this.channels(oneShape(inputShape));
    this.kernel = this.addWeight({
      name: "kernel",
      shape: [...this.kernelSize, c, this.depthMultiplier],
      initializer: this.depthwiseInitializer,
      regularizer: this.depthwiseRegularizer,
      constraint: this.depthwiseConstraint,
    });
    this.addBias(c * this.depthMultiplier);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const kernel = this.kernel!.value as tf.Tensor4D;
    return this.run(inputs, (x) => this.finish(depthwise(x, kernel, this.strides, this.padding, this.dilationRate)));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(inputShape);
    const c = this.channelsFirst ? shape[1] : shape[shape.length - 1];
    const spatial = this.spatial(shape).map((d, i) =>
      convOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!),
    );
    return this.assemble(shape, spatial, (c as number) * this.depthMultiplier);
  }
}

function depthwise(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: number[],
  padding: string,
  dilation: number[],
): tf.Tensor4D {
  return tf.depthwiseConv2d(x, kernel, [strides[0]!, strides[1]!], padding as "valid" | "same", "NHWC", [
    dilation[0]!,
    dilation[1]!,
  ]);
}

/** Options of SeparableConv2D. */
export interface SeparableConv2DArgs extends DepthwiseConv2DArgs {
  readonly filters: number;
  readonly pointwiseInitializer?: InitializerLike | undefined;
  readonly pointwiseRegularizer?: RegularizerLike | null | undefined;
  readonly pointwiseConstraint?: ConstraintLike | null | undefined;
}

/** A depthwise convolution, then a 1x1 convolution to `filters` channels, then the bias. */
export class SeparableConv2D extends SpatialConv {
  static override readonly className: string = "SeparableConv2D";
  static override readonly fields = [
    field("depth_multiplier", "depthMultiplier", 1),
    ...common(false).filter((f) => !f.key.startsWith("kernel_") || f.key === "kernel_size"),
    ...depthwiseFields,
    field("pointwise_initializer", "pointwiseInitializer", "GlorotUniform", "initializer"),
    field("pointwise_regularizer", "pointwiseRegularizer", null, "regularizer"),
    field("pointwise_constraint", "pointwiseConstraint", null, "constraint"),
  ];
  declare readonly filters: number;
  declare readonly depthMultiplier: number;
  declare readonly depthwiseInitializer: Initializer;
  declare readonly depthwiseRegularizer: Regularizer | null;
  declare readonly depthwiseConstraint: Constraint | null;
  declare readonly pointwiseInitializer: Initializer;
  declare readonly pointwiseRegularizer: Regularizer | null;
  declare readonly pointwiseConstraint: Constraint | null;
  depthwiseKernel: Variable | undefined;
  pointwiseKernel: Variable | undefined;

  constructor(args: SeparableConv2DArgs) {
    super(args);
    if (
      !Number.isSafeInteger(this.filters) ||
      this.filters <= 0 ||
      !Number.isSafeInteger(this.depthMultiplier) ||
      this.depthMultiplier < 1
    ) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `SeparableConv2D layer "${this.name}"`,
          "filters and depth_multiplier must be positive integers",
        ),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = this.channels(oneShape(inputShape));
    this.depthwiseKernel = this.addWeight({
      name: "depthwise_kernel",
      shape: [...this.kernelSize, c, this.depthMultiplier],
      initializer: this.depthwiseInitializer,
      regularizer: this.depthwiseRegularizer,
      constraint: this.depthwiseConstraint,
    });
    this.pointwiseKernel = this.addWeight({
      name: "pointwise_kernel",
      shape: [1, 1, c * this.depthMultiplier, this.filters],
      initializer: this.pointwiseInitializer,
      regularizer: this.pointwiseRegularizer,
      constraint: this.pointwiseConstraint,
    });
    this.addBias(this.filters);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const dk = this.depthwiseKernel!.value as tf.Tensor4D;
    const pk = this.pointwiseKernel!.value as tf.Tensor4D;
    return this.run(inputs, (x) =>
      this.finish(tf.conv2d(depthwise(x, dk, this.strides, this.padding, this.dilationRate), pk, 1, "valid")),
    );
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(inputShape);
    const spatial = this.spatial(shape).map((d, i) =>
      convOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!),
    );
    return this.assemble(shape, spatial, this.filters);
  }
}

/** Options of the transposed convolutions. */
export interface ConvTransposeArgs extends Omit<ConvArgs, "groups"> {
  readonly outputPadding?: number | readonly number[] | null | undefined;
}

/** What the transposed convolutions (1-D, 2-D, 3-D) share: kernel `[...kernelSize, filters, inChannels]`. */
export abstract class ConvTranspose extends SpatialConv {
  static override readonly fields = [
    ...common(false).slice(0, 4),
    field("output_padding", "outputPadding", null),
    ...common(false).slice(4),
  ];
  declare readonly filters: number;
  declare outputPadding: number[] | null;
  declare readonly kernelInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  kernel: Variable | undefined;

  constructor(args: ConvTransposeArgs) {
    super(args);
    if (this.outputPadding !== null)
      this.outputPadding = intTuple(this.outputPadding, this.rank, "output_padding", this.name, 0);
    if (this.dilationRate.some((d) => d !== 1)) {
      throw new EngineError(
        "unsupported",
        cannot("make", `${this.className} layer "${this.name}"`, "dilation_rate other than 1 is not supported"),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = this.channels(oneShape(inputShape));
    this.kernel = this.addWeight({
      name: "kernel",
      shape: [...this.kernelSize, this.filters, c],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    this.addBias(this.filters);
    super.build(inputShape);
  }

  /** The output's spatial sizes for a channels-last input. */
  protected outSpatial(x: tf.Tensor): number[] {
    return x.shape
      .slice(1, -1)
      .map(
        (d, i) =>
          deconvOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.outputPadding?.[i] ?? null)!,
      );
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(inputShape);
    const spatial = this.spatial(shape).map((d, i) =>
      deconvOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.outputPadding?.[i] ?? null),
    );
    return this.assemble(shape, spatial, this.filters);
  }
}

/** Options of Conv2DTranspose. */
export type Conv2DTransposeArgs = ConvTransposeArgs;

/** The transpose of Conv2D (a "deconvolution"): kernel `[kh, kw, filters, inChannels]`. */
export class Conv2DTranspose extends ConvTranspose {
  static override readonly className: string = "Conv2DTranspose";

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const kernel = this.kernel!.value as tf.Tensor4D;
    return this.run(inputs, (x) => {
      const [height, width] = this.outSpatial(x);
      const y = tf.conv2dTranspose(
        x,
        kernel,
        [x.shape[0], height!, width!, this.filters],
        [this.strides[0]!, this.strides[1]!],
        this.padding as "valid" | "same",
      );
      return this.finish(y);
    });
  }
}
