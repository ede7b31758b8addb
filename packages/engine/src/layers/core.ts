import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import type { Activation, ActivationLike } from "../activations.js";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";

const one = (x: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(x) ? x[0]! : x);

/** Options of Dropout. */
export interface DropoutArgs extends LayerArgs {
  readonly rate: number;
  readonly noiseShape?: readonly (number | null)[] | null | undefined;
  readonly seed?: number | null | undefined;
}

/** Zeroes a fraction `rate` of the inputs in training (scaling the rest); the identity otherwise. */
export class Dropout extends Layer {
  static override readonly className: string = "Dropout";
  static override readonly fields = [
    field("rate", "rate", 0.5),
    field("seed", "seed", null),
    field("noise_shape", "noiseShape", null),
  ];
  static readonly callKwargs: JsonObject = { training: false };
  declare readonly rate: number;
  declare readonly seed: number | null;
  declare readonly noiseShape: (number | null)[] | null;

  constructor(args: DropoutArgs) {
    super(args);
    if (typeof this.rate !== "number" || this.rate < 0 || this.rate > 1) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `Dropout layer "${this.name}"`, `rate must be in [0, 1], got ${String(this.rate)}`),
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = one(inputs);
    if (options.training !== true || this.rate === 0) return x;
    return tf.dropout(x, this.rate, undefined, this.seed ?? undefined);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Options of Activation. */
export interface ActivationArgs extends LayerArgs {
  readonly activation: ActivationLike;
}

/** Applies an activation function. */
export class ActivationLayer extends Layer {
  static override readonly className: string = "Activation";
  static override readonly fields = [field("activation", "activation", "linear", "activation")];
  declare readonly activation: Activation;

  constructor(args: ActivationArgs) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => this.activation.fn(one(inputs)));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}

/** Flattens all axes but the batch axis. */
export class Flatten extends Layer {
  static override readonly className: string = "Flatten";
  static override readonly fields = [field("data_format", "dataFormat", "channels_last")];
  declare readonly dataFormat: string;

  constructor(args: LayerArgs & { readonly dataFormat?: string } = {}) {
    super(args);
  }

  // Keras's Flatten has a build step, so its config records a build_config.
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.tidy(() => {
      // channels_first flattens in NCHW order: move the channel axis first.
      const y =
        this.dataFormat === "channels_first" && x.rank > 2
          ? tf.transpose(x, [0, x.rank - 1, ...range(1, x.rank - 1)])
          : x;
      return tf.reshape(y, [x.shape[0]!, -1]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    const rest = s.slice(1);
    return [s[0] ?? null, rest.every((d) => d !== null) ? rest.reduce<number>((a, b) => a * (b as number), 1) : null];
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/** Options of Reshape. */
export interface ReshapeArgs extends LayerArgs {
  /** The shape without the batch axis; one entry may be -1. */
  readonly targetShape: readonly number[];
}

/** Reshapes each sample to `targetShape`. */
export class Reshape extends Layer {
  static override readonly className: string = "Reshape";
  static override readonly fields = [field("target_shape", "targetShape", null, "tuple")];
  declare readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super(args);
    if (!Array.isArray(this.targetShape)) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `Reshape layer "${this.name}"`, "targetShape must be a list of integers"),
      );
    }
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = one(inputs);
    return tf.reshape(x, [x.shape[0]!, ...this.targetShape]);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    const known = s.slice(1).every((d) => d !== null);
    const total = known ? s.slice(1).reduce<number>((a, b) => a * (b as number), 1) : null;
    const fixed = this.targetShape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return [s[0] ?? null, ...this.targetShape.map((d) => (d === -1 ? (total === null ? null : total / fixed) : d))];
  }
}

/** Returns its input unchanged. */
export class Identity extends Layer {
  static override readonly className: string = "Identity";

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return inputs;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }
}

/** Options of Rescaling. */
export interface RescalingArgs extends LayerArgs {
  readonly scale: number;
  readonly offset?: number | undefined;
}

/** `x * scale + offset`. */
export class Rescaling extends Layer {
  static override readonly className: string = "Rescaling";
  static override readonly fields = [field("scale", "scale", 1), field("offset", "offset", 0)];
  declare readonly scale: number;
  declare readonly offset: number;

  constructor(args: RescalingArgs) {
    super(args);
  }

  // Keras's Rescaling has a build step, so its config records a build_config.
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(tf.cast(one(inputs), "float32"), this.scale), this.offset));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }
}
