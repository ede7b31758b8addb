import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";
import { checkOutputShape, intTuple, one, oneOf, oneShape, pairs } from "./layer-utils.js";

type DataFormat = "channels_last" | "channels_first";

/** The spatial axes of a rank-`r` input. */
const spatialAxes = (rank: number, format: string): number[] =>
  Array.from({ length: rank - 2 }, (_, i) => (format === "channels_first" ? i + 2 : i + 1));

const add = (d: number | null, n: number): number | null => (d === null ? null : d + n);

/** A layer that pads or crops the spatial axes by `[before, after]` pairs. */
export abstract class PadCrop extends Layer {
  static readonly rank: number = 2;
  static readonly key: "padding" | "cropping" = "padding";
  declare dataFormat: DataFormat;

  protected get amounts(): [number, number][] {
    const key = (this.constructor as unknown as { key: "padding" | "cropping" }).key;
    return (this as unknown as Record<string, [number, number][]>)[key]!;
  }

  protected normalize(): void {
    const cls = this.constructor as unknown as { key: "padding" | "cropping"; rank: number };
    const self = this as unknown as Record<string, unknown>;
    self[cls.key] = pairs(self[cls.key], cls.rank, cls.key, this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
  }

  // Keras's padding and cropping layers have a build step (their configs record build_config).
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  protected abstract get sign(): 1 | -1;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    const axes = spatialAxes(x.rank, this.dataFormat);
    const amounts = this.amounts;
    if (this.sign > 0) {
      const p: [number, number][] = x.shape.map(() => [0, 0]);
      axes.forEach((a, i) => {
        p[a] = amounts[i]!;
      });
      return tf.pad(x, p);
    }
    const begin = x.shape.map(() => 0);
    const size = [...x.shape];
    axes.forEach((a, i) => {
      const [lo, hi] = amounts[i]!;
      begin[a] = lo;
      size[a] = x.shape[a]! - lo - hi;
      if (size[a]! < 0) {
        throw new EngineError(
          "invalid-shape",
          cannot("call", `${this.className} layer "${this.name}"`, `cropping ${lo + hi} from an axis of ${x.shape[a]}`),
        );
      }
    });
    return tf.slice(x, begin, size);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    const axes = spatialAxes(s.length, this.dataFormat);
    const out = [...s];
    axes.forEach((a, i) => {
      const [lo, hi] = this.amounts[i]!;
      out[a] = add(s[a] ?? null, this.sign * (lo + hi));
    });
    return checkOutputShape(out, this, s, 0);
  }
}

/** Options of ZeroPadding1D/2D: an int, one per axis, or `[before, after]` pairs. */
export interface ZeroPaddingArgs extends LayerArgs {
  readonly padding?: number | readonly number[] | readonly (readonly number[])[] | undefined;
  readonly dataFormat?: DataFormat | undefined;
}

/** Options of Cropping1D/2D. */
export interface CroppingArgs extends LayerArgs {
  readonly cropping?: number | readonly number[] | readonly (readonly number[])[] | undefined;
  readonly dataFormat?: DataFormat | undefined;
}

/** Pads `[batch, steps, channels]` with zeros along the steps. */
export class ZeroPadding1D extends PadCrop {
  static override readonly className: string = "ZeroPadding1D";
  static override readonly rank: number = 1;
  static override readonly fields = [
    field("padding", "padding", 1),
    field("data_format", "dataFormat", "channels_last"),
  ];
  declare padding: [number, number][];

  constructor(args: ZeroPaddingArgs = {}) {
    super(args);
    this.normalize();
  }

  protected get sign(): 1 {
    return 1;
  }

  override getConfig() {
    return { ...super.getConfig(), padding: this.padding[0]! };
  }
}

/** Pads rows and columns with zeros. */
export class ZeroPadding2D extends PadCrop {
  static override readonly className: string = "ZeroPadding2D";
  static override readonly rank: number = 2;
  static override readonly fields = [
    field("padding", "padding", 1),
    field("data_format", "dataFormat", "channels_last"),
  ];
  declare padding: [number, number][];

  constructor(args: ZeroPaddingArgs = {}) {
    super(args);
    this.normalize();
  }

  protected get sign(): 1 {
    return 1;
  }
}

/** Crops `[batch, steps, channels]` along the steps. */
export class Cropping1D extends PadCrop {
  static override readonly className: string = "Cropping1D";
  static override readonly rank: number = 1;
  static override readonly key = "cropping" as const;
  static override readonly fields = [field("cropping", "cropping", [1, 1])];
  declare cropping: [number, number][];

  constructor(args: CroppingArgs = {}) {
    super(args);
    this.normalize();
  }

  protected get sign(): -1 {
    return -1;
  }

  override getConfig() {
    const config = { ...super.getConfig(), cropping: this.cropping[0]! };
    return config;
  }
}

/** Crops rows and columns. */
export class Cropping2D extends PadCrop {
  static override readonly className: string = "Cropping2D";
  static override readonly rank: number = 2;
  static override readonly key = "cropping" as const;
  static override readonly fields = [
    field("cropping", "cropping", [
      [0, 0],
      [0, 0],
    ]),
    field("data_format", "dataFormat", "channels_last"),
  ];
  declare cropping: [number, number][];

  constructor(args: CroppingArgs = {}) {
    super(args);
    this.normalize();
  }

  protected get sign(): -1 {
    return -1;
  }
}

/** Options of UpSampling1D. */
export interface UpSampling1DArgs extends LayerArgs {
  readonly size?: number | undefined;
}

/** Repeats each step `size` times. */
export class UpSampling1D extends Layer {
  static override readonly className: string = "UpSampling1D";
  static override readonly fields = [field("size", "size", 2)];
  declare readonly size: number;

  constructor(args: UpSampling1DArgs = {}) {
    super(args);
    intTuple(this.size, 1, "size", this.name);
  }

  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.tidy(() => {
      const [b, t, c] = x.shape as [number, number, number];
      return tf.reshape(tf.tile(tf.expandDims(x, 2), [1, 1, this.size, 1]), [b, t * this.size, c]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    return [s[0] ?? null, s[1] === null || s[1] === undefined ? null : s[1] * this.size, ...s.slice(2)];
  }
}

/** Options of UpSampling2D. */
export interface UpSampling2DArgs extends LayerArgs {
  readonly size?: number | readonly number[] | undefined;
  readonly dataFormat?: DataFormat | undefined;
  /** `nearest` (repeat) or `bilinear` (half-pixel centers, as TensorFlow's resize). */
  readonly interpolation?: "nearest" | "bilinear" | undefined;
}

/** Scales rows and columns up by `size`. */
export class UpSampling2D extends Layer {
  static override readonly className: string = "UpSampling2D";
  static override readonly fields = [
    field("size", "size", 2),
    field("data_format", "dataFormat", "channels_last"),
    field("interpolation", "interpolation", "nearest"),
  ];
  declare size: number[];
  declare dataFormat: DataFormat;
  declare interpolation: "nearest" | "bilinear";

  constructor(args: UpSampling2DArgs = {}) {
    super(args);
    this.size = intTuple(this.size, 2, "size", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
    this.interpolation = oneOf(this.interpolation, ["nearest", "bilinear"], "interpolation", this.name);
  }

  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs) as tf.Tensor4D;
      const first = this.dataFormat === "channels_first";
      if (first) x = tf.transpose(x, [0, 2, 3, 1]);
      const size: [number, number] = [x.shape[1] * this.size[0]!, x.shape[2] * this.size[1]!];
      let y: tf.Tensor4D =
        this.interpolation === "bilinear"
          ? tf.image.resizeBilinear(x, size, false, true)
          : tf.image.resizeNearestNeighbor(x, size, false, false);
      if (first) y = tf.transpose(y, [0, 3, 1, 2]);
      return y;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...oneShape(inputShape)];
    const axes = this.dataFormat === "channels_first" ? [2, 3] : [1, 2];
    axes.forEach((a, i) => {
      s[a] = s[a] === null || s[a] === undefined ? null : (s[a] as number) * this.size[i]!;
    });
    return s;
  }
}

/** Options of RepeatVector. */
export interface RepeatVectorArgs extends LayerArgs {
  readonly n: number;
}

/** `[batch, features]` to `[batch, n, features]`. */
export class RepeatVector extends Layer {
  static override readonly className: string = "RepeatVector";
  static override readonly fields = [field("n", "n", null)];
  declare readonly n: number;

  constructor(args: RepeatVectorArgs) {
    super(args);
    intTuple(this.n, 1, "n", this.name);
  }

  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.tile(tf.expandDims(one(inputs), 1), [1, this.n, 1]));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    return [s[0] ?? null, this.n, ...s.slice(1)];
  }
}

/** Options of Permute. */
export interface PermuteArgs extends LayerArgs {
  /** A permutation of 1..rank-1 (the batch axis stays first). */
  readonly dims: readonly number[];
}

/** Permutes the non-batch axes. */
export class Permute extends Layer {
  static override readonly className: string = "Permute";
  static override readonly fields = [field("dims", "dims", null)];
  declare readonly dims: number[];

  constructor(args: PermuteArgs) {
    super(args);
    const d = this.dims as unknown;
    const sorted = Array.isArray(d) ? [...(d as number[])].sort((a, b) => a - b) : [];
    if (!Array.isArray(d) || d.length === 0 || !sorted.every((v, i) => v === i + 1)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Permute layer "${this.name}"`,
          `dims must be a permutation of 1..${Array.isArray(d) ? d.length : "n"}, got ${JSON.stringify(d)}`,
        ),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.transpose(one(inputs), [0, ...this.dims]);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    return [s[0] ?? null, ...this.dims.map((d) => s[d] ?? null)];
  }
}

/** Options of Masking. */
export interface MaskingArgs extends LayerArgs {
  readonly maskValue?: number | undefined;
}

/**
 * Zeroes the time steps whose features all equal `maskValue`. (The mask itself is not passed
 * on to later layers.)
 */
export class Masking extends Layer {
  static override readonly className: string = "Masking";
  static override readonly fields = [field("mask_value", "maskValue", 0)];
  declare readonly maskValue: number;

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const keep = tf.any(tf.notEqual(x, this.maskValue), -1, true);
      return tf.mul(x, tf.cast(keep, x.dtype));
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return oneShape(inputShape);
  }
}
