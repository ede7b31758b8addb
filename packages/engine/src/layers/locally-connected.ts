import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import type { Activation, ActivationLike } from "../activations.js";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { intTuple, one, oneOf, withActivityRegularizer } from "./layer-utils.js";
import { type LocalGeometry, localGeometry, patchesToKernel } from "./locally-connected-geometry.js";

/** Options of LocallyConnected1D / 2D (Keras 2's unshared convolutions). */
export interface LocallyConnectedArgs extends LayerArgs {
  readonly filters: number;
  readonly kernelSize: number | readonly number[];
  readonly strides?: number | readonly number[] | undefined;
  /** Only `valid` (as Keras 2's default implementation 1). */
  readonly padding?: string | undefined;
  readonly dataFormat?: "channels_last" | "channels_first" | null | undefined;
  readonly activation?: ActivationLike | undefined;
  readonly useBias?: boolean | undefined;
  readonly kernelInitializer?: InitializerLike | undefined;
  readonly biasInitializer?: InitializerLike | undefined;
  readonly kernelRegularizer?: RegularizerLike | null | undefined;
  readonly biasRegularizer?: RegularizerLike | null | undefined;
  readonly kernelConstraint?: ConstraintLike | null | undefined;
  readonly biasConstraint?: ConstraintLike | null | undefined;
  /** Keras 2's kernel layout: 1 per-patch, 2 dense masked, 3 sparse (see the geometry file). */
  readonly implementation?: 1 | 2 | 3 | undefined;
}

/**
 * A convolution whose weights differ at every output position (tf.keras 2's
 * LocallyConnected1D / 2D; Keras 3 dropped them). The kernel keeps the layout of the
 * config's `implementation`, so files read and write as Keras 2 wrote them; every layout
 * computes the same way here: each output position's input patch times that position's
 * [patch, filters] matrix, the patches gathered from the flattened input.
 */
abstract class LocallyConnected extends Layer {
  static readonly rank: number = 2;
  static override readonly fields = [
    field("filters", "filters", null),
    field("kernel_size", "kernelSize", null),
    field("strides", "strides", 1),
    field("padding", "padding", "valid"),
    field("data_format", "dataFormat", "channels_last"),
    field("activation", "activation", "linear", "activation"),
    field("use_bias", "useBias", true),
    field("kernel_initializer", "kernelInitializer", "GlorotUniform", "initializer"),
    field("bias_initializer", "biasInitializer", "Zeros", "initializer"),
    field("kernel_regularizer", "kernelRegularizer", null, "regularizer"),
    field("bias_regularizer", "biasRegularizer", null, "regularizer"),
    field("kernel_constraint", "kernelConstraint", null, "constraint"),
    field("bias_constraint", "biasConstraint", null, "constraint"),
    field("implementation", "implementation", 1),
  ];
  declare readonly filters: number;
  declare kernelSize: number[];
  declare strides: number[];
  declare padding: string;
  declare dataFormat: string;
  declare readonly activation: Activation;
  declare readonly useBias: boolean;
  declare readonly kernelInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;
  declare implementation: number;
  kernel: Variable | undefined;
  bias: Variable | undefined;
  private geometry: LocalGeometry | undefined;
  /** The per-sample input indices of every patch, [positions * patch] (int32). */
  private patchIndex: tf.Tensor1D | undefined;
  /** For implementations 2 and 3: where each per-patch kernel entry sits in the stored kernel. */
  private kernelIndex: tf.Tensor1D | undefined;

  constructor(args: LocallyConnectedArgs) {
    super(args);
    const what = `${this.className} layer "${this.name}"`;
    if (!Number.isSafeInteger(this.filters) || this.filters <= 0) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", what, `filters must be a positive integer, got ${String(this.filters)}`),
      );
    }
    this.kernelSize = intTuple(this.kernelSize, this.rank, "kernel_size", this.name);
    this.strides = intTuple(this.strides, this.rank, "strides", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
    this.implementation = Number(this.implementation);
    if (![1, 2, 3].includes(this.implementation)) {
      throw new EngineError(
        "invalid-config",
        cannot("make", what, `implementation must be 1, 2 or 3, got ${String(this.implementation)}`),
      );
    }
    if (this.padding !== "valid") {
      throw new EngineError(
        "unsupported",
        cannot(
          "make",
          what,
          `padding "${String(this.padding)}" is not supported by Kerastore yet (only "valid", Keras 2's default)`,
        ),
      );
    }
  }

  get rank(): number {
    return (this.constructor as unknown as { rank: number }).rank;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    const channelsFirst = this.dataFormat === "channels_first";
    const spatial = channelsFirst ? shape.slice(2) : shape.slice(1, -1);
    const channels = channelsFirst ? shape[1] : shape[shape.length - 1];
    const known = (d: number | null | undefined): d is number => typeof d === "number";
    if (shape.length !== this.rank + 2 || !spatial.every(known) || !known(channels)) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `${this.className} layer "${this.name}"`,
          `expected an input of rank ${this.rank + 2} with known spatial size and channels, got ${JSON.stringify(shape)}`,
        ),
      );
    }
    const g = localGeometry(spatial as number[], channels, this.kernelSize, this.strides, this.filters, channelsFirst);
    if (g.outputSpatial.some((d) => d <= 0)) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `${this.className} layer "${this.name}"`,
          `its kernel ${JSON.stringify(this.kernelSize)} does not fit the input ${JSON.stringify(shape)}`,
        ),
      );
    }
    this.geometry = g;
    this.kernel = this.addWeight({
      name: "kernel",
      shape: g.storedKernelShape(this.implementation),
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
      constraint: this.kernelConstraint,
    });
    if (this.useBias) {
      this.bias = this.addWeight({
        name: "bias",
        shape: [...g.outputSpatial, this.filters],
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
        constraint: this.biasConstraint,
      });
    }
    this.patchIndex = tf.keep(tf.tensor1d(g.patchIndex(), "int32"));
    if (this.implementation !== 1) this.kernelIndex = tf.keep(tf.tensor1d(g.kernelIndex(this.implementation), "int32"));
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _options: CallOptions): tf.Tensor {
    const g = this.geometry!;
    return tf.tidy(() => {
      let x = one(inputs);
      if (x.dtype !== "float32") x = tf.cast(x, "float32");
      const batch = x.shape[0]!;
      const flat = tf.reshape(x, [batch, g.inputSize]);
      // [batch, positions * patch] -> [positions, batch, patch]
      const patches = tf.transpose(
        tf.reshape(tf.gather(flat, this.patchIndex!, 1), [batch, g.positions, g.patch]),
        [1, 0, 2],
      );
      const kernel = patchesToKernel(this.kernel!.value, this.kernelIndex, g);
      // [positions, batch, filters] -> [batch, positions, filters]
      let y = tf.transpose(tf.matMul(patches as tf.Tensor3D, kernel), [1, 0, 2]);
      if (this.dataFormat === "channels_first") {
        y = tf.reshape(tf.transpose(y, [0, 2, 1]), [batch, this.filters, ...g.outputSpatial]);
        // As Keras 2's bias_add: the [spatial..., filters] bias reshaped (not transposed) to [filters, spatial...].
        if (this.bias !== undefined) y = tf.add(y, tf.reshape(this.bias.value, [1, this.filters, ...g.outputSpatial]));
      } else {
        y = tf.reshape(y, [batch, ...g.outputSpatial, this.filters]);
        if (this.bias !== undefined) y = tf.add(y, tf.expandDims(this.bias.value, 0));
      }
      return this.activation.fn(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = inputShape as Shape;
    const channelsFirst = this.dataFormat === "channels_first";
    const spatial = (channelsFirst ? shape.slice(2) : shape.slice(1, -1)).map((d, i) =>
      typeof d === "number" ? Math.floor((d - this.kernelSize[i]!) / this.strides[i]!) + 1 : null,
    );
    return channelsFirst ? [shape[0] ?? null, this.filters, ...spatial] : [shape[0] ?? null, ...spatial, this.filters];
  }

  override getConfig(): JsonObject {
    return withActivityRegularizer(this, super.getConfig());
  }

  override dispose(): void {
    this.patchIndex?.dispose();
    this.kernelIndex?.dispose();
    this.patchIndex = undefined;
    this.kernelIndex = undefined;
    super.dispose();
  }
}

/** Keras 2's LocallyConnected1D: inputs [batch, steps, channels] (or channels first). */
export class LocallyConnected1D extends LocallyConnected {
  static override readonly className: string = "LocallyConnected1D";
  static override readonly rank: number = 1;
}

/** Keras 2's LocallyConnected2D: inputs [batch, rows, cols, channels] (or channels first). */
export class LocallyConnected2D extends LocallyConnected {
  static override readonly className: string = "LocallyConnected2D";
  static override readonly rank: number = 2;
}
