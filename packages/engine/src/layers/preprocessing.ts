import type * as tf from "@tensorflow/tfjs-core";
import { type ConfigField, field } from "../config-fields.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";

/** Options of the random augmentation layers: their Keras options, kept for the config. */
export interface RandomLayerArgs extends LayerArgs {
  readonly factor?: number | readonly number[] | undefined;
  readonly heightFactor?: number | readonly number[] | undefined;
  readonly widthFactor?: number | readonly number[] | null | undefined;
  readonly mode?: string | undefined;
  readonly fillMode?: string | undefined;
  readonly fillValue?: number | undefined;
  readonly interpolation?: string | undefined;
  readonly valueRange?: readonly number[] | undefined;
  readonly seed?: number | null | undefined;
  readonly dataFormat?: string | undefined;
}

/**
 * A random image augmentation: the identity at inference, which is all a loaded model needs.
 * Training-time augmentation is not implemented (the layer passes its input through then too).
 */
abstract class RandomAugmentation extends Layer {
  // Keras's preprocessing layers have a build step (their configs record build_config).
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] {
    return inputs;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }
}

const dataFormat = field("data_format", "dataFormat", "channels_last");
const seed = field("seed", "seed", null);
const geometry: ConfigField[] = [
  field("fill_mode", "fillMode", "reflect"),
  field("interpolation", "interpolation", "bilinear"),
  seed,
  field("fill_value", "fillValue", 0),
];

/** Keras writes a symmetric factor `f` as `[-f, f]`. */
function symmetric(f: unknown): unknown {
  return typeof f === "number" ? [-Math.abs(f), Math.abs(f)] : f;
}

/** Flips images at random (`horizontal`, `vertical`, or both) in training. */
export class RandomFlip extends RandomAugmentation {
  static override readonly className: string = "RandomFlip";
  static override readonly fields = [dataFormat, seed, field("mode", "mode", "horizontal_and_vertical")];
}

/** Rotates images at random by up to `factor` turns in training. */
export class RandomRotation extends RandomAugmentation {
  static override readonly className: string = "RandomRotation";
  static override readonly fields = [dataFormat, field("factor", "factor", null), ...geometry];
  declare factor: unknown;

  constructor(args: RandomLayerArgs = {}) {
    super(args);
    this.factor = symmetric(this.factor);
  }
}

/** Zooms images at random in training. */
export class RandomZoom extends RandomAugmentation {
  static override readonly className: string = "RandomZoom";
  static override readonly fields = [
    dataFormat,
    field("height_factor", "heightFactor", null),
    field("width_factor", "widthFactor", null),
    ...geometry,
  ];
}

/** Changes image contrast at random in training. */
export class RandomContrast extends RandomAugmentation {
  static override readonly className: string = "RandomContrast";
  static override readonly fields = [
    dataFormat,
    field("factor", "factor", null),
    field("value_range", "valueRange", [0, 255]),
    seed,
  ];
  declare factor: unknown;

  constructor(args: RandomLayerArgs = {}) {
    super(args);
    // Keras writes a single factor f as [0, f].
    if (typeof this.factor === "number") this.factor = [0, this.factor];
  }
}

/** Shifts images at random in training. */
export class RandomTranslation extends RandomAugmentation {
  static override readonly className: string = "RandomTranslation";
  static override readonly fields = [
    dataFormat,
    field("height_factor", "heightFactor", null),
    field("width_factor", "widthFactor", null),
    ...geometry,
  ];
}
