import * as tf from "@tensorflow/tfjs-core";
import { field } from "../config-fields.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";
import {
  checkOutputShape,
  convOutputLength,
  intTuple,
  one,
  oneOf,
  oneShape,
  toChannelsFirst,
  toChannelsLast,
} from "./layer-utils.js";
import { GlobalPooling, type GlobalPoolingArgs, type PoolingArgs } from "./pooling.js";
import { type CroppingArgs, PadCrop, type ZeroPaddingArgs } from "./reshaping.js";

// The 3-D (volumetric) pooling, padding, cropping and up-sampling layers over
// `[batch, d1, d2, d3, channels]` (or channels first).

/** Max or average pooling over three spatial axes (tfjs's maxPool3d / avgPool3d). */
abstract class Pooling3D extends Layer {
  static readonly op: "max" | "avg" = "max";
  static override readonly fields = [
    field("pool_size", "poolSize", 2),
    field("padding", "padding", "valid"),
    field("strides", "strides", null),
    field("data_format", "dataFormat", "channels_last"),
  ];
  declare poolSize: number[];
  declare strides: number[];
  declare padding: "valid" | "same";
  declare dataFormat: string;

  constructor(args: PoolingArgs = {}) {
    super(args);
    this.poolSize = intTuple(this.poolSize, 3, "pool_size", this.name);
    this.strides = this.strides === null ? [...this.poolSize] : intTuple(this.strides, 3, "strides", this.name);
    this.padding = oneOf(this.padding, ["valid", "same"], "padding", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const op = (this.constructor as unknown as { op: "max" | "avg" }).op;
    return tf.tidy(() => {
      let x = one(inputs) as tf.Tensor5D;
      const first = this.dataFormat === "channels_first";
      if (first) x = toChannelsLast(x) as tf.Tensor5D;
      const size = this.poolSize as [number, number, number];
      const strides = this.strides as [number, number, number];
      const y =
        op === "max"
          ? tf.maxPool3d(x, size, strides, this.padding, undefined, "NDHWC")
          : tf.avgPool3d(x, size, strides, this.padding, undefined, "NDHWC");
      return first ? toChannelsFirst(y) : y;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    const first = this.dataFormat === "channels_first";
    const spatial = (first ? s.slice(2) : s.slice(1, -1)).map((d, i) =>
      convOutputLength(d, this.poolSize[i]!, this.padding, this.strides[i]!),
    );
    return checkOutputShape(
      first ? [s[0] ?? null, s[1] ?? null, ...spatial] : [s[0] ?? null, ...spatial, s[s.length - 1] ?? null],
      this,
      s,
    );
  }
}

/** Max over windows of a volume. */
export class MaxPooling3D extends Pooling3D {
  static override readonly className: string = "MaxPooling3D";
  static override readonly op = "max" as const;
}

/** Mean over windows of a volume (with `same`, padding is not counted). */
export class AveragePooling3D extends Pooling3D {
  static override readonly className: string = "AveragePooling3D";
  static override readonly op = "avg" as const;
}

/** Mean over the three spatial axes. */
export class GlobalAveragePooling3D extends GlobalPooling {
  static override readonly className: string = "GlobalAveragePooling3D";
  static override readonly rank: number = 3;
  static override readonly op = "avg" as const;

  constructor(args: GlobalPoolingArgs = {}) {
    super(args);
  }
}

/** Max over the three spatial axes. */
export class GlobalMaxPooling3D extends GlobalPooling {
  static override readonly className: string = "GlobalMaxPooling3D";
  static override readonly rank: number = 3;
  static override readonly op = "max" as const;

  constructor(args: GlobalPoolingArgs = {}) {
    super(args);
  }
}

/** Pads the three spatial axes with zeros. */
export class ZeroPadding3D extends PadCrop {
  static override readonly className: string = "ZeroPadding3D";
  static override readonly rank: number = 3;
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

/** Crops the three spatial axes. */
export class Cropping3D extends PadCrop {
  static override readonly className: string = "Cropping3D";
  static override readonly rank: number = 3;
  static override readonly key = "cropping" as const;
  static override readonly fields = [
    field("cropping", "cropping", 1),
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

/** Repeats each voxel `size[i]` times along each spatial axis (nearest). */
export class UpSampling3D extends Layer {
  static override readonly className: string = "UpSampling3D";
  static override readonly fields = [field("size", "size", 2), field("data_format", "dataFormat", "channels_last")];
  declare size: number[];
  declare dataFormat: string;

  constructor(args: LayerArgs & { readonly size?: number | readonly number[]; readonly dataFormat?: string } = {}) {
    super(args);
    this.size = intTuple(this.size, 3, "size", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
  }

  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = one(inputs);
      const start = this.dataFormat === "channels_first" ? 2 : 1;
      this.size.forEach((n, i) => {
        x = repeatAxis(x, start + i, n);
      });
      return x;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...oneShape(inputShape)];
    const start = this.dataFormat === "channels_first" ? 2 : 1;
    this.size.forEach((n, i) => {
      const d = s[start + i];
      s[start + i] = d === null || d === undefined ? null : d * n;
    });
    return s;
  }
}

/** Each element repeated `n` times along `axis` (Keras's `repeat`), as a gather (its gradient is a segment sum). */
export function repeatAxis(x: tf.Tensor, axis: number, n: number): tf.Tensor {
  if (n === 1) return x;
  const length = x.shape[axis]!;
  const indices = tf.tensor1d(
    Array.from({ length: length * n }, (_, i) => Math.floor(i / n)),
    "int32",
  );
  const y = tf.gather(x, indices, axis);
  indices.dispose();
  return y;
}
