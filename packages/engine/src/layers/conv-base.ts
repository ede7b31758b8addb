import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import type { Activation, ActivationLike } from "../activations.js";
import { type ConfigField, field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import {
  checkOutputShape,
  intTuple,
  one,
  oneOf,
  toChannelsFirst,
  toChannelsLast,
  withActivityRegularizer,
} from "./layer-utils.js";

/** Options of the convolution layers (Conv1D, Conv2D, Conv2DTranspose). */
export interface ConvArgs extends LayerArgs {
  readonly filters: number;
  readonly kernelSize: number | readonly number[];
  readonly strides?: number | readonly number[] | undefined;
  /** `valid`, `same`, or (Conv1D) `causal`. */
  readonly padding?: string | undefined;
  readonly dataFormat?: "channels_last" | "channels_first" | undefined;
  readonly dilationRate?: number | readonly number[] | undefined;
  readonly groups?: number | undefined;
  readonly activation?: ActivationLike | undefined;
  readonly useBias?: boolean | undefined;
  readonly kernelInitializer?: InitializerLike | undefined;
  readonly biasInitializer?: InitializerLike | undefined;
  readonly kernelRegularizer?: RegularizerLike | null | undefined;
  readonly biasRegularizer?: RegularizerLike | null | undefined;
  readonly kernelConstraint?: ConstraintLike | null | undefined;
  readonly biasConstraint?: ConstraintLike | null | undefined;
}

// The activations tfjs fuses into its convolution kernels.
export const FUSED = new Set(["linear", "relu", "relu6", "sigmoid", "elu"]);
export type FusedName = "linear" | "relu" | "relu6" | "sigmoid" | "elu";

const biasFields = [
  field("bias_initializer", "biasInitializer", "Zeros", "initializer"),
  field("bias_regularizer", "biasRegularizer", null, "regularizer"),
  field("bias_constraint", "biasConstraint", null, "constraint"),
];

export const common = (withGroups: boolean): ConfigField[] => [
  field("filters", "filters", null),
  field("kernel_size", "kernelSize", null),
  field("strides", "strides", 1),
  field("padding", "padding", "valid"),
  field("data_format", "dataFormat", "channels_last"),
  field("dilation_rate", "dilationRate", 1),
  ...(withGroups ? [field("groups", "groups", 1)] : []),
  field("activation", "activation", "linear", "activation"),
  field("use_bias", "useBias", true),
  field("kernel_initializer", "kernelInitializer", "GlorotUniform", "initializer"),
  field("kernel_regularizer", "kernelRegularizer", null, "regularizer"),
  field("kernel_constraint", "kernelConstraint", null, "constraint"),
  ...biasFields,
];

/** What the spatial layers share: rank, tuples, data format, and bias + activation. */
export abstract class SpatialConv extends Layer {
  /** Spatial rank (1 or 2). */
  static readonly rank: number = 2;
  declare kernelSize: number[];
  declare strides: number[];
  declare padding: string;
  declare dataFormat: string | null;
  declare dilationRate: number[];
  declare readonly activation: Activation;
  declare readonly useBias: boolean;
  declare readonly biasInitializer: Initializer;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly biasConstraint: Constraint | null;
  bias: Variable | undefined;

  constructor(args: LayerArgs, paddings: readonly string[] = ["valid", "same"]) {
    super(args);
    const rank = this.rank;
    this.kernelSize = intTuple(this.kernelSize, rank, "kernel_size", this.name);
    this.strides = intTuple(this.strides, rank, "strides", this.name);
    this.dilationRate = intTuple(this.dilationRate, rank, "dilation_rate", this.name);
    this.padding = oneOf(this.padding, paddings, "padding", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `layer "${this.name}"`, "strides > 1 and dilation_rate > 1 cannot be combined"),
      );
    }
  }

  get rank(): number {
    return (this.constructor as unknown as { rank: number }).rank;
  }

  protected get channelsFirst(): boolean {
    return this.dataFormat === "channels_first";
  }

  /** The channel count of an input shape, checked known. */
  protected channels(shape: Shape): number {
    const c = this.channelsFirst ? shape[1] : shape[shape.length - 1];
    if (shape.length !== this.rank + 2 || typeof c !== "number") {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `${this.className} layer "${this.name}"`,
          `expected an input of rank ${this.rank + 2} with known channels, got ${JSON.stringify(shape)}`,
        ),
      );
    }
    return c;
  }

  protected addBias(units: number): void {
    if (!this.useBias) return;
    this.bias = this.addWeight({
      name: "bias",
      shape: [units],
      initializer: this.biasInitializer,
      regularizer: this.biasRegularizer,
      constraint: this.biasConstraint,
    });
  }

  /** Runs `fn` on a channels-last rank-4 view of the input and returns in the layer's format. */
  protected run(inputs: tf.Tensor | tf.Tensor[], fn: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      if (x.dtype !== "float32") x = tf.cast(x, "float32");
      if (this.channelsFirst) x = toChannelsLast(x);
      // 1-D layers run as 2-D with a height of 1.
      const x4 = (this.rank === 1 ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
      let y: tf.Tensor = fn(x4);
      if (this.rank === 1) y = tf.squeeze(y, [1]);
      return this.channelsFirst ? toChannelsFirst(y) : y;
    });
  }

  /** Adds the bias and applies the activation (unfused path). */
  protected finish<T extends tf.Tensor>(y: T): T {
    let out: tf.Tensor = y;
    if (this.bias !== undefined) out = tf.add(out, this.bias.value);
    return this.activation.fn(out) as T;
  }

  /** The spatial dims of a shape, channels last or first. */
  protected spatial(shape: Shape): (number | null)[] {
    return this.channelsFirst ? shape.slice(2) : shape.slice(1, -1);
  }

  protected assemble(shape: Shape, spatial: (number | null)[], channels: number): Shape {
    return checkOutputShape(
      this.channelsFirst ? [shape[0] ?? null, channels, ...spatial] : [shape[0] ?? null, ...spatial, channels],
      this,
      shape,
    );
  }

  override getConfig(): JsonObject {
    return withActivityRegularizer(this, super.getConfig());
  }
}
