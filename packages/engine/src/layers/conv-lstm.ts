import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import type { Activation } from "../activations.js";
import { field } from "../config-fields.js";
import type { Constraint } from "../constraints.js";
import { EngineError } from "../errors.js";
import { Initializer } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Regularizer } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { convOutputLength, intTuple, oneOf, oneShape, withActivityRegularizer } from "./layer-utils.js";

const FIELDS = [
  field("return_sequences", "returnSequences", false),
  field("return_state", "returnState", false),
  field("go_backwards", "goBackwards", false),
  field("stateful", "stateful", false),
  field("unroll", "unroll", false),
  field("zero_output_for_mask", "zeroOutputForMask", false),
  field("filters", "filters", null),
  field("kernel_size", "kernelSize", null),
  field("strides", "strides", 1),
  field("padding", "padding", "valid"),
  field("data_format", "dataFormat", "channels_last"),
  field("dilation_rate", "dilationRate", 1),
  field("activation", "activation", "tanh", "activation"),
  field("recurrent_activation", "recurrentActivation", "sigmoid", "activation"),
  field("use_bias", "useBias", true),
  field("kernel_initializer", "kernelInitializer", "GlorotUniform", "initializer"),
  field("recurrent_initializer", "recurrentInitializer", "Orthogonal", "initializer"),
  field("bias_initializer", "biasInitializer", "Zeros", "initializer"),
  field("unit_forget_bias", "unitForgetBias", true),
  field("kernel_regularizer", "kernelRegularizer", null, "regularizer"),
  field("recurrent_regularizer", "recurrentRegularizer", null, "regularizer"),
  field("bias_regularizer", "biasRegularizer", null, "regularizer"),
  field("kernel_constraint", "kernelConstraint", null, "constraint"),
  field("recurrent_constraint", "recurrentConstraint", null, "constraint"),
  field("bias_constraint", "biasConstraint", null, "constraint"),
  field("dropout", "dropout", 0),
  field("recurrent_dropout", "recurrentDropout", 0),
  field("seed", "seed", null),
];

/** The cell of ConvLSTM2D: weights `kernel` `[kh, kw, in, 4 * filters]`, `recurrent_kernel` `[kh, kw, filters, 4 * filters]`, `bias` (gates i, f, c, o). */
class ConvLSTMCell extends Layer {
  static override readonly className: string = "ConvLSTMCell";
  kernel: Variable | undefined;
  recurrentKernel: Variable | undefined;
  bias: Variable | undefined;

  constructor(
    name: string,
    private readonly owner: ConvLSTM2D,
  ) {
    super({ name });
  }

  override build(inputShape: Shape | Shape[]): void {
    const o = this.owner;
    const c = oneShape(inputShape).at(-1) as number;
    const f = o.filters;
    this.kernel = this.addWeight({
      name: "kernel",
      shape: [...o.kernelSize, c, 4 * f],
      initializer: o.kernelInitializer,
      regularizer: o.kernelRegularizer,
      constraint: o.kernelConstraint,
    });
    this.recurrentKernel = this.addWeight({
      name: "recurrent_kernel",
      shape: [...o.kernelSize, f, 4 * f],
      initializer: o.recurrentInitializer,
      regularizer: o.recurrentRegularizer,
      constraint: o.recurrentConstraint,
    });
    if (o.useBias) {
      const base = o.biasInitializer;
      const init = o.unitForgetBias
        ? new Initializer(base.className, base.getConfig(), (_s, dtype) =>
            tf.tidy(() => tf.concat([base.apply([f], dtype), tf.ones([f], dtype), base.apply([2 * f], dtype)])),
          )
        : base;
      this.bias = this.addWeight({
        name: "bias",
        shape: [4 * f],
        initializer: init,
        regularizer: o.biasRegularizer,
        constraint: o.biasConstraint,
      });
    }
    super.build(inputShape);
  }

  /** One step on a channels-last frame `[B, H, W, C]` and state `[h, c]`. */
  step(x: tf.Tensor4D, h: tf.Tensor4D, c: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const o = this.owner;
    const f = o.filters;
    const strides = o.strides as [number, number];
    const dilations = o.dilationRate as [number, number];
    let xz: tf.Tensor = tf.conv2d(
      x,
      this.kernel!.value as tf.Tensor4D,
      strides,
      o.padding as "valid" | "same",
      "NHWC",
      dilations,
    );
    if (this.bias !== undefined) xz = tf.add(xz, this.bias.value);
    const z = tf.add(xz, tf.conv2d(h, this.recurrentKernel!.value as tf.Tensor4D, 1, "same"));
    const [zi, zf, zc, zo] = tf.split(z, [f, f, f, f], 3);
    const ra = o.recurrentActivation.fn;
    const cNext = tf.add(tf.mul(ra(zf!), c), tf.mul(ra(zi!), o.activation.fn(zc!))) as tf.Tensor4D;
    const hNext = tf.mul(ra(zo!), o.activation.fn(cNext)) as tf.Tensor4D;
    return [hNext, cNext];
  }
}

/** Options of ConvLSTM2D (Keras's config keys, camel-cased). */
export type ConvLSTM2DArgs = LayerArgs & {
  readonly filters: number;
  readonly kernelSize: number | readonly number[];
} & Record<string, unknown>;

/**
 * A convolutional LSTM over `[batch, time, rows, cols, channels]`: each gate a convolution of
 * the frame plus a "same" convolution of the previous output (Keras's ConvLSTM2D, LSTM gate order
 * i, f, c, o). Returns the last output or the sequence, and with `return_state` also `[h, c]`.
 */
export class ConvLSTM2D extends Layer {
  static override readonly className: string = "ConvLSTM2D";
  static override readonly fields = FIELDS;
  static readonly callKwargs: JsonObject = { training: false, mask: null };
  declare readonly returnSequences: boolean;
  declare readonly returnState: boolean;
  declare readonly goBackwards: boolean;
  declare readonly stateful: boolean;
  declare readonly filters: number;
  declare kernelSize: number[];
  declare strides: number[];
  declare padding: string;
  declare dataFormat: string;
  declare dilationRate: number[];
  declare readonly activation: Activation;
  declare readonly recurrentActivation: Activation;
  declare readonly useBias: boolean;
  declare readonly kernelInitializer: Initializer;
  declare readonly recurrentInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly unitForgetBias: boolean;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly recurrentRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly recurrentConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;
  declare readonly dropout: number;
  declare readonly recurrentDropout: number;
  private cell: ConvLSTMCell | undefined;

  constructor(args: ConvLSTM2DArgs) {
    super(args);
    const where = `ConvLSTM2D layer "${this.name}"`;
    if (!Number.isSafeInteger(this.filters) || this.filters <= 0)
      throw new EngineError(
        "invalid-argument",
        cannot("make", where, `filters must be a positive integer, got ${String(this.filters)}`),
      );
    this.kernelSize = intTuple(this.kernelSize, 2, "kernel_size", this.name);
    this.strides = intTuple(this.strides, 2, "strides", this.name);
    this.dilationRate = intTuple(this.dilationRate, 2, "dilation_rate", this.name);
    this.padding = oneOf(this.padding, ["valid", "same"], "padding", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
    const unsupported = this.stateful
      ? "stateful"
      : this.dropout > 0 || this.recurrentDropout > 0
        ? "dropout / recurrent_dropout"
        : null;
    if (unsupported !== null)
      throw new EngineError("unsupported", cannot("make", where, `${unsupported} is not supported by Kerastore yet`));
  }

  /** The frame shape `[B, H, W, C]`, channels last. */
  private frameShape(shape: Shape): Shape {
    const s =
      this.dataFormat === "channels_first"
        ? [shape[0], shape[3], shape[4], shape[2]]
        : [shape[0], shape[2], shape[3], shape[4]];
    return s.map((d) => d ?? null) as Shape;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = oneShape(inputShape);
    if (shape.length !== 5 || typeof this.frameShape(shape)[3] !== "number") {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `ConvLSTM2D layer "${this.name}"`,
          `expected [batch, time, rows, cols, channels] with known channels, got ${JSON.stringify(shape)}`,
        ),
      );
    }
    this.cell = this.trackLayer(new ConvLSTMCell("conv_lstm_cell", this), "cell");
    this.cell.maybeBuild(this.frameShape(shape));
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _options: CallOptions): tf.Tensor | tf.Tensor[] {
    const x0 = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => {
      // [B, T, H, W, C] channels last.
      const x = this.dataFormat === "channels_first" ? tf.transpose(x0, [0, 1, 3, 4, 2]) : x0;
      const [b, t, hh, ww] = x.shape as [number, number, number, number, number];
      const oh = convOutputLength(hh, this.kernelSize[0]!, this.padding, this.strides[0]!, this.dilationRate[0]!)!;
      const ow = convOutputLength(ww, this.kernelSize[1]!, this.padding, this.strides[1]!, this.dilationRate[1]!)!;
      let h = tf.zeros([b, oh, ow, this.filters]) as tf.Tensor4D;
      let c = tf.zeros([b, oh, ow, this.filters]) as tf.Tensor4D;
      const frames = tf.unstack(x, 1) as tf.Tensor4D[];
      if (this.goBackwards) frames.reverse();
      const outs: tf.Tensor4D[] = [];
      for (const frame of frames) {
        [h, c] = this.cell!.step(frame, h, c);
        if (this.returnSequences) outs.push(h);
      }
      const back = (y: tf.Tensor): tf.Tensor =>
        this.dataFormat === "channels_first" ? tf.transpose(y, y.rank === 5 ? [0, 1, 4, 2, 3] : [0, 3, 1, 2]) : y;
      const output = back(this.returnSequences ? tf.stack(outs, 1) : h);
      void t;
      return this.returnState ? [output, back(h), back(c)] : output;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const s = oneShape(inputShape);
    const frame = this.frameShape(s);
    const oh = convOutputLength(
      frame[1] ?? null,
      this.kernelSize[0]!,
      this.padding,
      this.strides[0]!,
      this.dilationRate[0]!,
    );
    const ow = convOutputLength(
      frame[2] ?? null,
      this.kernelSize[1]!,
      this.padding,
      this.strides[1]!,
      this.dilationRate[1]!,
    );
    const first = this.dataFormat === "channels_first";
    const state: Shape = first ? [s[0] ?? null, this.filters, oh, ow] : [s[0] ?? null, oh, ow, this.filters];
    const out: Shape = this.returnSequences ? [s[0] ?? null, s[1] ?? null, ...state.slice(1)] : state;
    return this.returnState ? [out, state, [...state]] : out;
  }

  override getConfig(): JsonObject {
    return withActivityRegularizer(this, super.getConfig());
  }
}
