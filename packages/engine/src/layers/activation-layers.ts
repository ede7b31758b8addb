import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { field } from "../config-fields.js";
import { Layer, type LayerArgs } from "../layer.js";
import { relu } from "../ops/wasm/relu-train.js";
import { attachLogits } from "../training/losses/logits.js";
import type { Shape } from "../symbolic.js";

const one = (x: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(x) ? x[0]! : x);

/** Options of ReLU. */
export interface ReLUArgs extends LayerArgs {
  readonly maxValue?: number | null | undefined;
  readonly negativeSlope?: number | undefined;
  readonly threshold?: number | undefined;
}

/** `max(x, 0)` with an optional cap, slope below the threshold, and threshold. */
export class ReLU extends Layer {
  static override readonly className: string = "ReLU";
  static override readonly fields = [
    field("max_value", "maxValue", null),
    field("negative_slope", "negativeSlope", 0),
    field("threshold", "threshold", 0),
  ];
  declare readonly maxValue: number | null;
  declare readonly negativeSlope: number;
  declare readonly threshold: number;

  constructor(args: ReLUArgs = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.tidy(() => {
      let y: tf.Tensor =
        this.threshold === 0 && this.negativeSlope === 0
          ? relu(x)
          : tf.where(tf.greaterEqual(x, this.threshold), x, tf.mul(tf.sub(x, this.threshold), this.negativeSlope));
      if (this.maxValue !== null) y = tf.minimum(y, this.maxValue);
      return y;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** `x` above zero, `negative_slope * x` below. */
export class LeakyReLU extends Layer {
  static override readonly className: string = "LeakyReLU";
  static override readonly fields = [field("negative_slope", "negativeSlope", 0.3)];
  declare readonly negativeSlope: number;

  constructor(args: LayerArgs & { readonly negativeSlope?: number; readonly alpha?: number } = {}) {
    // Keras 2 named the slope `alpha`.
    super({ ...args, negativeSlope: args.negativeSlope ?? args.alpha } as LayerArgs);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.leakyRelu(one(inputs), this.negativeSlope);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  static override fromConfig<T extends Layer>(this: new (args: never) => T, config: JsonObject): T {
    const slope = config.negative_slope ?? config.alpha;
    return Layer.fromConfig.call(this as never, { ...config, negative_slope: slope ?? 0.3 }) as T;
  }
}

/** Softmax over an axis (the last by default). */
export class Softmax extends Layer {
  static override readonly className: string = "Softmax";
  static override readonly fields = [field("axis", "axis", -1)];
  static readonly callKwargs: JsonObject = { mask: null };
  declare readonly axis: number | number[];

  constructor(args: LayerArgs & { readonly axis?: number | number[] } = {}) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    const axis = Array.isArray(this.axis) ? this.axis : [this.axis];
    if (axis.length === 1 && (axis[0] === -1 || axis[0] === x.rank - 1)) return attachLogits(tf.softmax(x), x);
    return tf.tidy(() => {
      const e = tf.exp(tf.sub(x, tf.max(x, axis, true)));
      return tf.div(e, tf.sum(e, axis, true));
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}
