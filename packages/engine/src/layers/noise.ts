import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import type { FromConfigContext } from "../keras-object.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import { regularizer } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import { one, oneOf } from "./layer-utils.js";

// Regularization layers that only act in training (Keras's noise and spatial-dropout layers,
// ActivityRegularization): at inference each is the identity.

function checkRate(layer: Layer, rate: unknown, max = 1): void {
  if (typeof rate !== "number" || !(rate >= 0) || rate > max || (max === 1 && rate === 1)) {
    throw new EngineError(
      "invalid-argument",
      cannot("make", `${layer.className} layer "${layer.name}"`, `rate must be in [0, 1), got ${String(rate)}`),
    );
  }
}

/** A layer whose output has the input's shape. */
abstract class SameShape extends Layer {
  static readonly callKwargs: JsonObject = { training: false };

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Options of the spatial dropout layers. */
export interface SpatialDropoutArgs extends LayerArgs {
  readonly rate: number;
  readonly seed?: number | null | undefined;
  readonly dataFormat?: "channels_last" | "channels_first" | undefined;
}

/**
 * Dropout of whole feature maps: one keep/drop draw per sample and channel, shared across the
 * spatial axes (SpatialDropout1D/2D/3D), kept values scaled by `1 / (1 - rate)`.
 */
abstract class SpatialDropout extends SameShape {
  static readonly rank: number = 1;
  declare readonly rate: number;
  declare readonly seed: number | null;
  declare dataFormat: string;

  constructor(args: SpatialDropoutArgs) {
    super(args);
    checkRate(this, this.rate);
    this.dataFormat = oneOf(
      this.dataFormat ?? "channels_last",
      ["channels_last", "channels_first"],
      "data_format",
      this.name,
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = one(inputs);
    if (options.training !== true || this.rate === 0) return x;
    const s = x.shape;
    const noise =
      this.dataFormat === "channels_first"
        ? [s[0]!, s[1]!, ...s.slice(2).map(() => 1)]
        : [s[0]!, ...s.slice(1, -1).map(() => 1), s[s.length - 1]!];
    return tf.dropout(x, this.rate, noise, this.seed ?? undefined);
  }

  override getConfig(): JsonObject {
    // Keras writes these layers' configs by hand: no `trainable`, the dtype as a plain name.
    const config: JsonObject = { rate: this.rate, seed: this.seed, name: this.name, dtype: this.dtype };
    if (this.rank > 1) config.data_format = this.dataFormat;
    return config;
  }

  private get rank(): number {
    return (this.constructor as unknown as { rank: number }).rank;
  }
}

/** Drops whole channels of `[batch, steps, channels]`. */
export class SpatialDropout1D extends SpatialDropout {
  static override readonly className: string = "SpatialDropout1D";
  static override readonly fields = [field("rate", "rate", 0.5), field("seed", "seed", null)];
}

/** Drops whole channels of `[batch, rows, cols, channels]`. */
export class SpatialDropout2D extends SpatialDropout {
  static override readonly className: string = "SpatialDropout2D";
  static override readonly rank: number = 2;
  static override readonly fields = [
    field("rate", "rate", 0.5),
    field("seed", "seed", null),
    field("data_format", "dataFormat", "channels_last"),
  ];
}

/** Drops whole channels of `[batch, d1, d2, d3, channels]`. */
export class SpatialDropout3D extends SpatialDropout {
  static override readonly className: string = "SpatialDropout3D";
  static override readonly rank: number = 3;
  static override readonly fields = [
    field("rate", "rate", 0.5),
    field("seed", "seed", null),
    field("data_format", "dataFormat", "channels_last"),
  ];
}

/** Adds zero-centred Gaussian noise of `stddev` in training. */
export class GaussianNoise extends SameShape {
  static override readonly className: string = "GaussianNoise";
  static override readonly fields = [field("stddev", "stddev", null), field("seed", "seed", null)];
  declare readonly stddev: number;
  declare readonly seed: number | null;

  constructor(args: LayerArgs & { readonly stddev: number; readonly seed?: number | null }) {
    super(args);
    if (typeof this.stddev !== "number" || !(this.stddev >= 0)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `GaussianNoise layer "${this.name}"`,
          `stddev must be a number >= 0, got ${String(this.stddev)}`,
        ),
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = one(inputs);
    if (options.training !== true || this.stddev === 0) return x;
    return tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, this.stddev, "float32", this.seed ?? undefined)));
  }
}

/** Multiplies by Gaussian noise of mean 1 and stddev `sqrt(rate / (1 - rate))` in training. */
export class GaussianDropout extends SameShape {
  static override readonly className: string = "GaussianDropout";
  static override readonly fields = [field("rate", "rate", null), field("seed", "seed", null)];
  declare readonly rate: number;
  declare readonly seed: number | null;

  constructor(args: LayerArgs & { readonly rate: number; readonly seed?: number | null }) {
    super(args);
    checkRate(this, this.rate);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = one(inputs);
    if (options.training !== true || this.rate === 0) return x;
    const stddev = Math.sqrt(this.rate / (1 - this.rate));
    return tf.tidy(() => tf.mul(x, tf.randomNormal(x.shape, 1, stddev, "float32", this.seed ?? undefined)));
  }
}

// SELU's constants: AlphaDropout keeps a SELU network's mean and variance.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Dropout for SELU networks: dropped values become SELU's negative saturation, then an affine fix-up keeps mean and variance. */
export class AlphaDropout extends SameShape {
  static override readonly className: string = "AlphaDropout";
  static override readonly fields = [
    field("rate", "rate", null),
    field("seed", "seed", null),
    field("noise_shape", "noiseShape", null),
  ];
  declare readonly rate: number;
  declare readonly seed: number | null;
  declare readonly noiseShape: (number | null)[] | null;

  constructor(
    args: LayerArgs & {
      readonly rate: number;
      readonly seed?: number | null;
      readonly noiseShape?: (number | null)[] | null;
    },
  ) {
    super(args);
    checkRate(this, this.rate);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = one(inputs);
    if (options.training !== true || this.rate === 0) return x;
    const alphaP = -SELU_ALPHA * SELU_SCALE;
    const keep = 1 - this.rate;
    const a = 1 / Math.sqrt(keep * (1 + this.rate * alphaP * alphaP));
    const b = -a * alphaP * this.rate;
    const shape = this.noiseShape === null ? x.shape : this.noiseShape.map((d, i) => d ?? x.shape[i]!);
    return tf.tidy(() => {
      const kept = tf.cast(
        tf.greaterEqual(tf.randomUniform(shape, 0, 1, "float32", this.seed ?? undefined), this.rate),
        "float32",
      );
      const y = tf.add(tf.mul(x, kept), tf.mul(tf.sub(1, kept), alphaP));
      return tf.add(tf.mul(y, a), b);
    });
  }
}

/** Adds `l1 * sum(|y|) + l2 * sum(y^2)` of its input (per sample) to the model's losses; the identity otherwise. */
export class ActivityRegularization extends SameShape {
  static override readonly className: string = "ActivityRegularization";
  static override readonly fields = [field("l1", "l1", 0), field("l2", "l2", 0)];
  declare readonly l1: number;
  declare readonly l2: number;

  constructor(args: LayerArgs & { readonly l1?: number; readonly l2?: number } = {}) {
    // Keras sets an L1L2 activity regularizer: the engine's activity regularization applies it.
    const options = args as { l1?: number; l2?: number };
    super({ ...args, activityRegularizer: regularizer("L1L2", { l1: options.l1 ?? 0, l2: options.l2 ?? 0 }) });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return one(inputs);
  }

  override getConfig(): JsonObject {
    const config = super.getConfig();
    // Keras writes the factors, not the regularizer it makes of them.
    delete config.activity_regularizer;
    return config;
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const { activity_regularizer: _ignored, ...rest } = config;
    return Layer.fromConfig.call(this as never, rest, ctx) as T;
  }
}
