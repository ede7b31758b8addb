import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import type { Constraint } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer } from "../initializers.js";
import type { Regularizer } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { type ConvArgs, SpatialConv, common } from "./conv-base.js";
import { ConvTranspose } from "./conv.js";
import { convOutputLength, one, oneShape, toChannelsFirst, toChannelsLast } from "./layer-utils.js";

/** Runs `fn` on a channels-last float view of the input and returns in the layer's format. */
function channelsLastRun(inputs: tf.Tensor | tf.Tensor[], first: boolean, fn: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    let x = one(inputs);
    if (x.dtype !== "float32") x = tf.cast(x, "float32");
    if (first) x = toChannelsLast(x);
    const y = fn(x);
    return first ? toChannelsFirst(y) : y;
  });
}

/** 3-D convolution over `[batch, d1, d2, d3, channels]`: kernel `[k1, k2, k3, in / groups, filters]` (tfjs's conv3d). */
export class Conv3D extends SpatialConv {
  static override readonly className: string = "Conv3D";
  static override readonly rank: number = 3;
  static override readonly fields = common(true);
  declare readonly filters: number;
  declare readonly groups: number;
  declare readonly kernelInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  kernel: Variable | undefined;

  constructor(args: ConvArgs) {
    super(args);
    if (!Number.isSafeInteger(this.filters) || this.filters <= 0) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Conv3D layer "${this.name}"`,
          `filters must be a positive integer, got ${String(this.filters)}`,
        ),
      );
    }
    if (!Number.isSafeInteger(this.groups) || this.groups < 1 || this.filters % this.groups !== 0) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Conv3D layer "${this.name}"`,
          `groups must be a positive divisor of filters (${this.filters}), got ${String(this.groups)}`,
        ),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = this.channels(oneShape(inputShape));
    if (c % this.groups !== 0) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `Conv3D layer "${this.name}"`,
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

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const kernel = this.kernel!.value as tf.Tensor5D;
    const strides = this.strides as [number, number, number];
    const dilations = this.dilationRate as [number, number, number];
    const pad = this.padding as "valid" | "same";
    return channelsLastRun(inputs, this.channelsFirst, (x) => {
      let y: tf.Tensor;
      if (this.groups === 1) y = tf.conv3d(x as tf.Tensor5D, kernel, strides, pad, "NDHWC", dilations);
      else {
        const xs = tf.split(x, this.groups, 4);
        const ks = tf.split(kernel, this.groups, 4);
        y = tf.concat(
          xs.map((xi, g) => tf.conv3d(xi as tf.Tensor5D, ks[g] as tf.Tensor5D, strides, pad, "NDHWC", dilations)),
          4,
        );
      }
      if (this.bias !== undefined) y = tf.add(y, this.bias.value);
      return this.activation.fn(y);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = oneShape(inputShape);
    const spatial = this.spatial(shape).map((d, i) =>
      convOutputLength(d, this.kernelSize[i]!, this.padding, this.strides[i]!, this.dilationRate[i]!),
    );
    return this.assemble(shape, spatial, this.filters);
  }
}

/** The transpose of Conv1D over `[batch, steps, channels]` (run as a 2-D transpose of height 1). */
export class Conv1DTranspose extends ConvTranspose {
  static override readonly className: string = "Conv1DTranspose";
  static override readonly rank: number = 1;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const kernel = this.kernel!.value;
    return channelsLastRun(inputs, this.channelsFirst, (x) => {
      const [steps] = this.outSpatial(x);
      const k4 = tf.expandDims(kernel, 0) as tf.Tensor4D;
      const y = tf.conv2dTranspose(
        tf.expandDims(x, 1) as tf.Tensor4D,
        k4,
        [x.shape[0]!, 1, steps!, this.filters],
        [1, this.strides[0]!],
        this.padding as "valid" | "same",
      );
      return this.finish(tf.squeeze(y, [1]));
    });
  }
}

/** The transpose of Conv3D over `[batch, d1, d2, d3, channels]`. */
export class Conv3DTranspose extends ConvTranspose {
  static override readonly className: string = "Conv3DTranspose";
  static override readonly rank: number = 3;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const kernel = this.kernel!.value as tf.Tensor5D;
    return channelsLastRun(inputs, this.channelsFirst, (x) => {
      // The full ("valid") transpose, then the window TensorFlow's padding keeps: tfjs's own
      // "same" transpose places it differently from TensorFlow.
      const strides = this.strides as [number, number, number];
      const spatial = x.shape.slice(1, -1);
      const full = spatial.map((d, i) => (d - 1) * strides[i]! + this.kernelSize[i]!);
      const out = this.outSpatial(x);
      let y: tf.Tensor = conv3dTranspose(x as tf.Tensor5D, kernel, strides);
      const begin = out.map((o, i) => (this.padding === "same" ? Math.floor(Math.max(full[i]! - o, 0) / 2) : 0));
      const keep = out.map((o, i) => Math.min(o, full[i]! - begin[i]!));
      y = tf.slice(y, [0, ...begin, 0], [-1, ...keep, -1]);
      if (keep.some((k, i) => k < out[i]!))
        y = tf.pad(y, [[0, 0], ...keep.map((k, i): [number, number] => [0, out[i]! - k]), [0, 0]]);
      return this.finish(y);
    });
  }
}

/**
 * A "valid" 3-D transposed convolution from forward ops with gradients (tfjs has none for
 * Conv3DBackpropInputV2, and WASM's own gives wrong values): the input with `stride - 1`
 * zeros between elements, padded by `kernel - 1`, convolved with the spatially flipped kernel
 * (in and out channels swapped). Output length `(n - 1) * stride + kernel` per axis.
 */
function conv3dTranspose(x: tf.Tensor5D, kernel: tf.Tensor5D, strides: [number, number, number]): tf.Tensor5D {
  let y: tf.Tensor = x;
  for (let axis = 1; axis <= 3; axis++) y = spreadOut(y, axis, strides[axis - 1]!);
  const k = kernel.shape;
  y = tf.pad(y, [
    [0, 0],
    [k[0] - 1, k[0] - 1],
    [k[1] - 1, k[1] - 1],
    [k[2] - 1, k[2] - 1],
    [0, 0],
  ]);
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1, 2]), [0, 1, 2, 4, 3]) as tf.Tensor5D;
  return tf.conv3d(y as tf.Tensor5D, flipped, 1, "valid", "NDHWC");
}

/** `stride - 1` zeros between the elements of one axis. */
function spreadOut(x: tf.Tensor, axis: number, stride: number): tf.Tensor {
  if (stride === 1) return x;
  const n = x.shape[axis]!;
  const expanded = tf.expandDims(x, axis + 1);
  const pads = expanded.shape.map((_, i): [number, number] => (i === axis + 1 ? [0, stride - 1] : [0, 0]));
  const spread = tf.reshape(tf.pad(expanded, pads), [
    ...x.shape.slice(0, axis),
    n * stride,
    ...x.shape.slice(axis + 1),
  ]);
  return tf.slice(
    spread,
    x.shape.map(() => 0),
    x.shape.map((d, i) => (i === axis ? (n - 1) * stride + 1 : d)),
  );
}
