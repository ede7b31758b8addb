import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import type { FromConfigContext } from "../keras-object.js";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";
import { one, oneShape, toChannelsFirst, toChannelsLast } from "./layer-utils.js";

const unsupported = (layer: Layer, what: string) =>
  new EngineError(
    "unsupported",
    cannot("make", `${layer.className} layer "${layer.name}"`, `${what} is not supported by Kerastore yet`),
  );

/** Options of Resizing and CenterCrop. */
export interface ImageSizeArgs extends LayerArgs {
  readonly height: number;
  readonly width: number;
  readonly dataFormat?: string | undefined;
}

/** An image layer working channels last on rank-4 (or rank-3, unbatched) inputs. */
abstract class ImageLayer extends Layer {
  declare readonly height: number;
  declare readonly width: number;
  declare readonly dataFormat: string;

  // Keras's image layers have a build step (their configs record build_config).
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  protected image(inputs: tf.Tensor | tf.Tensor[], fn: (x: tf.Tensor4D) => tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      let x = tf.cast(one(inputs), "float32");
      const single = x.rank === 3;
      if (single) x = tf.expandDims(x, 0);
      if (this.dataFormat === "channels_first") x = toChannelsLast(x);
      let y: tf.Tensor = fn(x as tf.Tensor4D);
      if (this.dataFormat === "channels_first") y = toChannelsFirst(y);
      return single ? tf.squeeze(y, [0]) : y;
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = [...oneShape(inputShape)];
    const rows = s.length - (this.dataFormat === "channels_first" ? 2 : 3);
    s[rows] = this.height;
    s[rows + 1] = this.width;
    return s;
  }
}

/** Resizes images to `height x width` (bilinear or nearest, half-pixel centers as TensorFlow's resize). */
export class Resizing extends ImageLayer {
  static override readonly className: string = "Resizing";
  static override readonly fields = [
    field("data_format", "dataFormat", "channels_last"),
    field("height", "height", null),
    field("width", "width", null),
    field("interpolation", "interpolation", "bilinear"),
    field("crop_to_aspect_ratio", "cropToAspectRatio", false),
    field("pad_to_aspect_ratio", "padToAspectRatio", false),
    field("fill_mode", "fillMode", "constant"),
    field("fill_value", "fillValue", 0),
    field("antialias", "antialias", false),
  ];
  declare readonly interpolation: string;
  declare readonly cropToAspectRatio: boolean;
  declare readonly padToAspectRatio: boolean;
  declare readonly antialias: boolean;

  constructor(args: ImageSizeArgs & { readonly interpolation?: string }) {
    super(args);
    if (this.interpolation !== "bilinear" && this.interpolation !== "nearest")
      throw unsupported(this, `interpolation "${this.interpolation}"`);
    if (this.cropToAspectRatio || this.padToAspectRatio)
      throw unsupported(this, "crop_to_aspect_ratio / pad_to_aspect_ratio");
    if (this.antialias) throw unsupported(this, "antialias");
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const size: [number, number] = [this.height, this.width];
    return this.image(inputs, (x) =>
      this.interpolation === "bilinear"
        ? tf.image.resizeBilinear(x, size, false, true)
        : tf.image.resizeNearestNeighbor(x, size, false, true),
    );
  }
}

/** Crops the central `height x width` window of images at least that large. */
export class CenterCrop extends ImageLayer {
  static override readonly className: string = "CenterCrop";
  static override readonly fields = [
    field("data_format", "dataFormat", "channels_last"),
    field("height", "height", null),
    field("width", "width", null),
  ];

  constructor(args: ImageSizeArgs) {
    super(args);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.image(inputs, (x) => {
      const [, h, w] = x.shape;
      if (h < this.height || w < this.width) {
        throw new EngineError(
          "unsupported",
          cannot(
            "call",
            `CenterCrop layer "${this.name}"`,
            `images of ${h}x${w} smaller than the crop ${this.height}x${this.width} (Keras resizes them) are not supported by Kerastore yet`,
          ),
        );
      }
      const top = Math.floor((h - this.height) / 2);
      const left = Math.floor((w - this.width) / 2);
      return tf.slice(x, [0, top, left, 0], [-1, this.height, this.width, -1]);
    });
  }
}

/** Integer category ids to one-hot, multi-hot or count vectors of `num_tokens`. */
export class CategoryEncoding extends Layer {
  static override readonly className: string = "CategoryEncoding";
  static readonly integerInputs = true;
  static override readonly fields = [
    field("num_tokens", "numTokens", null),
    field("output_mode", "outputMode", "multi_hot"),
  ];
  declare readonly numTokens: number;
  declare readonly outputMode: string;

  constructor(
    args: LayerArgs & { readonly numTokens: number; readonly outputMode?: string; readonly sparse?: boolean },
  ) {
    super(args);
    if (args.sparse === true) throw unsupported(this, "sparse output");
    if (!Number.isSafeInteger(this.numTokens) || this.numTokens < 1) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `CategoryEncoding layer "${this.name}"`,
          `num_tokens must be a positive integer, got ${String(this.numTokens)}`,
        ),
      );
    }
    if (!["one_hot", "multi_hot", "count"].includes(this.outputMode))
      throw unsupported(this, `output_mode "${this.outputMode}"`);
  }

  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const layer = Layer.fromConfig.call(this as never, config, ctx) as T;
    if (config.sparse === true) throw unsupported(layer, "sparse output");
    return layer;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = tf.cast(one(inputs), "int32");
      if (this.outputMode === "one_hot") {
        if (x.rank > 1 && x.shape[x.rank - 1] === 1) x = tf.squeeze(x, [x.rank - 1]);
        // (WASM's OneHot writes int32 bits whatever dtype is asked: cast instead.)
        return tf.cast(tf.oneHot(x, this.numTokens), "float32");
      }
      if (x.rank === 1) x = tf.expandDims(x, -1);
      const hot = tf.cast(tf.oneHot(x, this.numTokens), "float32");
      return this.outputMode === "count" ? tf.sum(hot, -2) : tf.max(hot, -2);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    if (this.outputMode === "one_hot")
      return [...(s.length > 1 && s[s.length - 1] === 1 ? s.slice(0, -1) : s), this.numTokens];
    return s.length <= 1 ? [s[0] ?? null, this.numTokens] : [...s.slice(0, -1), this.numTokens];
  }
}
