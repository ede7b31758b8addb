import type * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, KerastoreError, cannot, formatShape, isJsonObject } from "@kerastore/core";
import { deserializeLayer, withScopes } from "./deserialize.js";
import { EngineError } from "./errors.js";
import type { FromConfigContext } from "./keras-object.js";
import type { CallOptions, Layer, LayerArgs } from "./layer.js";
import { InputLayer } from "./layers/input-layer.js";
import { Model, serializeLayer } from "./model.js";
import { isPlainRelu, takesReluAfter } from "./relu-fusion.js";
import { KerasTensor, type Shape } from "./symbolic.js";

/** Options of a Sequential model. */
export interface SequentialArgs extends LayerArgs {
  /** The layers, in order; may start with an `InputLayer` or an `Input(...)` tensor. */
  readonly layers?: readonly (Layer | KerasTensor)[] | undefined;
}

/**
 * A plain stack of layers. With a known input shape (an `Input`, or `inputShape` on the first
 * layer) it builds at once; otherwise on `build(shape)` or the first call.
 */
export class Sequential extends Model {
  static override readonly className: string = "Sequential";
  static override readonly module: string = "keras";
  private readonly stack: Layer[] = [];
  private inputLayer: InputLayer | undefined;
  /** The output shape once built. */
  outputShape: Shape | undefined;

  /** `new Sequential([layers])` as in Keras, or `new Sequential({ layers, name })`. */
  constructor(args: SequentialArgs | readonly (Layer | KerasTensor)[] = {}) {
    const options: SequentialArgs = Array.isArray(args)
      ? { layers: args as (Layer | KerasTensor)[] }
      : (args as SequentialArgs);
    super({ name: options.name, trainable: options.trainable, dtype: options.dtype });
    for (const layer of options.layers ?? []) this.add(layer);
  }

  /** Appends a layer (or sets the input from an `InputLayer` / `Input` tensor). */
  add(layer: Layer | KerasTensor): void {
    if (layer instanceof KerasTensor) {
      if (!(layer.history.layer instanceof InputLayer)) {
        throw new EngineError(
          "invalid-argument",
          cannot("add", "a tensor to a Sequential model", "only Input(...) tensors can be added"),
        );
      }
      layer = layer.history.layer;
    }
    if (layer instanceof InputLayer) {
      if (this.inputLayer !== undefined || this.stack.length > 0) {
        throw new EngineError(
          "invalid-argument",
          cannot("add", `input "${layer.name}" to Sequential "${this.name}"`, "an input must come first, once"),
        );
      }
      this.inputLayer = layer;
      return;
    }
    if (this.stack.length === 0 && this.inputLayer === undefined && layer.batchInputShape !== undefined) {
      this.inputLayer = new InputLayer({ batchShape: layer.batchInputShape, dtype: layer.dtype });
    }
    this.stack.push(layer);
    this.trackLayer(layer);
    this.built = false;
    if (this.inputLayer !== undefined) this.build(this.inputLayer.batchShape);
  }

  override get isSequential(): boolean {
    return true;
  }

  /** The layers, without the InputLayer (as Keras's `model.layers`). */
  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Builds every layer for this input shape, with the model's name scope open. */
  override build(inputShape: Shape | Shape[]): void {
    const shape = inputShape as Shape;
    this.inputLayer ??= new InputLayer({ batchShape: [null, ...shape.slice(1)], dtype: this.stack[0]?.dtype });
    const input = this.inputLayer.output;
    this.withScope(() => {
      let x: KerasTensor = input;
      for (const layer of this.stack) x = layer.apply(x);
      this.outputShape = [...x.shape];
      this.initGraph(input, x);
    });
  }

  override maybeBuild(inputShape: Shape | Shape[]): void {
    if (!this.built) this.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    let x = Array.isArray(inputs) ? inputs[0]! : inputs;
    for (let i = 0; i < this.stack.length; i++) {
      const layer = this.stack[i]!;
      // Training: BatchNormalization -> ReLU runs as the first layer (relu-fusion.ts).
      const next = this.stack[i + 1];
      const fuse = options.training === true && next !== undefined && takesReluAfter(layer) && isPlainRelu(next);
      try {
        x = layer.apply(x, fuse ? { ...options, reluAfter: true } : options);
        if (fuse) i++;
      } catch (error) {
        // As Model.call: a backend failure becomes a typed error naming the layer and its input.
        if (error instanceof KerastoreError) throw error;
        throw new EngineError(
          "backend",
          cannot(
            "call",
            `layer "${layer.name}" (${layer.className}) of model "${this.name}"`,
            `on inputs of shape ${formatShape(x.shape)}: ${(error as Error)?.message ?? String(error)}`,
          ),
          { cause: error },
        );
      }
    }
    return x;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | undefined {
    if (this.outputShape === undefined) return undefined;
    return [(inputShape as Shape)[0] ?? null, ...this.outputShape.slice(1)];
  }

  override getConfig(): JsonObject {
    const layers: JsonObject[] = [];
    if (this.inputLayer !== undefined) {
      const input = serializeLayer(this.inputLayer);
      layers.push(input);
    }
    for (const layer of this.stack) layers.push(serializeLayer(layer));
    const config: JsonObject = {
      name: this.name,
      trainable: this.trainable,
      dtype: { module: "keras", class_name: "DTypePolicy", config: { name: this.dtype }, registered_name: null },
      layers,
    };
    if (this.inputLayer !== undefined) config.build_input_shape = this.inputLayer.batchShape;
    return config;
  }

  override getBuildConfig(): JsonObject | undefined {
    return { input_shape: this.inputLayer?.batchShape ?? null };
  }

  /** Makes a Sequential model from its Keras config: `{name, layers}`, or Keras 2.0's bare list. */
  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject | JsonObject[],
    ctx: FromConfigContext = {},
  ): T {
    const full = withScopes(ctx);
    const list = Array.isArray(config) ? config : config.layers;
    if (!Array.isArray(list))
      throw new EngineError("invalid-config", cannot("read", "a Sequential config", 'expected a "layers" list'));
    const name = !Array.isArray(config) && typeof config.name === "string" ? config.name : undefined;
    const trainable = !Array.isArray(config) && typeof config.trainable === "boolean" ? config.trainable : undefined;
    const model = new this({ name, trainable } as never) as unknown as Sequential;
    for (const entry of list) {
      if (!isJsonObject(entry))
        throw new EngineError(
          "invalid-config",
          cannot("read", "a Sequential config", "a layer entry is not an object"),
        );
      model.add(deserializeLayer(entry, full));
    }
    return model as unknown as T;
  }
}
