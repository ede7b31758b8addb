import * as tf from "@tensorflow/tfjs-core";
import { field } from "../config-fields.js";
import { Layer, type LayerArgs } from "../layer.js";
import { globalAvgPool } from "../ops/wasm/global-avg-pool.js";
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

/** Options of the pooling layers. */
export interface PoolingArgs extends LayerArgs {
  readonly poolSize?: number | readonly number[] | undefined;
  /** Default: `poolSize`. */
  readonly strides?: number | readonly number[] | null | undefined;
  readonly padding?: "valid" | "same" | undefined;
  readonly dataFormat?: "channels_last" | "channels_first" | undefined;
}

/** Max or average pooling over 1 or 2 spatial axes (tfjs's maxPool / avgPool kernels). */
abstract class Pooling extends Layer {
  static readonly rank: number = 2;
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
    const rank = (this.constructor as unknown as { rank: number }).rank;
    this.poolSize = intTuple(this.poolSize, rank, "pool_size", this.name);
    this.strides = this.strides === null ? [...this.poolSize] : intTuple(this.strides, rank, "strides", this.name);
    this.padding = oneOf(this.padding, ["valid", "same"], "padding", this.name);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const cls = this.constructor as unknown as { rank: number; op: "max" | "avg" };
    return tf.tidy(() => {
      let x = one(inputs);
      if (this.dataFormat === "channels_first") x = toChannelsLast(x);
      const x4 = (cls.rank === 1 ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
      const size: [number, number] = cls.rank === 1 ? [1, this.poolSize[0]!] : [this.poolSize[0]!, this.poolSize[1]!];
      const strides: [number, number] = cls.rank === 1 ? [1, this.strides[0]!] : [this.strides[0]!, this.strides[1]!];
      let y: tf.Tensor =
        cls.op === "max" ? tf.maxPool(x4, size, strides, this.padding) : tf.avgPool(x4, size, strides, this.padding);
      if (cls.rank === 1) y = tf.squeeze(y, [1]);
      return this.dataFormat === "channels_first" ? toChannelsFirst(y) : y;
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

/** Max over windows of `[batch, steps, channels]`. */
export class MaxPooling1D extends Pooling {
  static override readonly className: string = "MaxPooling1D";
  static override readonly rank: number = 1;
  static override readonly op = "max" as const;
}

/** Max over windows of `[batch, rows, cols, channels]`. */
export class MaxPooling2D extends Pooling {
  static override readonly className: string = "MaxPooling2D";
  static override readonly rank: number = 2;
  static override readonly op = "max" as const;
}

/** Mean over windows of `[batch, steps, channels]` (with `same`, padding is not counted). */
export class AveragePooling1D extends Pooling {
  static override readonly className: string = "AveragePooling1D";
  static override readonly rank: number = 1;
  static override readonly op = "avg" as const;
}

/** Mean over windows of `[batch, rows, cols, channels]` (with `same`, padding is not counted). */
export class AveragePooling2D extends Pooling {
  static override readonly className: string = "AveragePooling2D";
  static override readonly rank: number = 2;
  static override readonly op = "avg" as const;
}

/** Options of the global pooling layers. */
export interface GlobalPoolingArgs extends LayerArgs {
  readonly dataFormat?: "channels_last" | "channels_first" | undefined;
  readonly keepdims?: boolean | undefined;
}

/** Mean or max over every spatial axis. */
export abstract class GlobalPooling extends Layer {
  static readonly rank: number = 2;
  static readonly op: "max" | "avg" = "avg";
  static override readonly fields = [
    field("data_format", "dataFormat", "channels_last"),
    field("keepdims", "keepdims", false),
  ];
  declare dataFormat: string;
  declare readonly keepdims: boolean;

  constructor(args: GlobalPoolingArgs = {}) {
    super(args);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
  }

  private axes(): number[] {
    const rank = (this.constructor as unknown as { rank: number }).rank;
    const start = this.dataFormat === "channels_first" ? 2 : 1;
    return Array.from({ length: rank }, (_, i) => start + i);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const op = (this.constructor as unknown as { op: "max" | "avg" }).op;
    return tf.tidy(() => {
      const x = one(inputs);
      // Channels last on WASM: the average as one kernel each way (ops/wasm/global-avg-pool.ts).
      const fused = op === "avg" && this.dataFormat === "channels_last" ? globalAvgPool(x) : null;
      if (fused !== null)
        return this.keepdims
          ? tf.reshape(
              fused,
              this.computeOutputShape(x.shape).map((d) => d ?? 1),
            )
          : fused;
      return op === "max" ? tf.max(x, this.axes(), this.keepdims) : tf.mean(x, this.axes(), this.keepdims);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    const axes = this.axes();
    return this.keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
  }
}

/** Mean over the steps of `[batch, steps, channels]`. */
export class GlobalAveragePooling1D extends GlobalPooling {
  static override readonly className: string = "GlobalAveragePooling1D";
  static override readonly rank: number = 1;
  static override readonly op = "avg" as const;
  // Keras records the mask argument of this layer's calls (it supports masking).
  static readonly callKwargs = { mask: null };
}

/** Mean over rows and columns. */
export class GlobalAveragePooling2D extends GlobalPooling {
  static override readonly className: string = "GlobalAveragePooling2D";
  static override readonly rank: number = 2;
  static override readonly op = "avg" as const;
}

/** Max over the steps of `[batch, steps, channels]`. */
export class GlobalMaxPooling1D extends GlobalPooling {
  static override readonly className: string = "GlobalMaxPooling1D";
  static override readonly rank: number = 1;
  static override readonly op = "max" as const;
}

/** Max over rows and columns. */
export class GlobalMaxPooling2D extends GlobalPooling {
  static override readonly className: string = "GlobalMaxPooling2D";
  static override readonly rank: number = 2;
  static override readonly op = "max" as const;
}
