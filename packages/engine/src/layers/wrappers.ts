import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot, isJsonObject } from "@kerastore/core";
import { deserializeLayer } from "../deserialize.js";
import { EngineError } from "../errors.js";
import type { FromConfigContext } from "../keras-object.js";
import { type CallOptions, Layer, type LayerArgs, type LayerClass, layerArgsFromConfig } from "../layer.js";
import { serializeLayer } from "../model.js";
import { isMultiShape } from "../symbolic-call.js";
import type { Shape } from "../symbolic.js";
import { oneShape } from "./layer-utils.js";
import { RNN } from "./recurrent.js";

/** How Bidirectional merges its two directions. */
export type MergeMode = "concat" | "sum" | "mul" | "ave" | null;

/** Options of Bidirectional. */
export interface BidirectionalArgs extends LayerArgs {
  /** The recurrent layer; copied into `forward_<name>` and (unless given) `backward_<name>`. */
  readonly layer: Layer;
  readonly mergeMode?: MergeMode | undefined;
  readonly backwardLayer?: Layer | undefined;
}

const MERGE_MODES: readonly (MergeMode | undefined)[] = ["concat", "sum", "mul", "ave", null, undefined];

/**
 * A copy of a layer through its config, with some config keys replaced. Like Keras's
 * serialize/deserialize round trip, a built layer's copy is built at once (outside any name
 * scope), so a loaded model's paths read `forward_lstm/lstm_cell/kernel`.
 */
function copyLayer(layer: Layer, changes: JsonObject, ctx: FromConfigContext): Layer {
  const cls = layer.constructor as unknown as LayerClass;
  const copy = cls.fromConfig({ ...layer.getConfig(), ...changes }, ctx);
  if (layer.built && layer.buildInputShape !== undefined) copy.maybeBuild(layer.buildInputShape);
  return copy;
}

const stripPrefix = (name: string, prefix: string): string =>
  name.startsWith(prefix) ? name.slice(prefix.length) : name;

/**
 * Runs a recurrent layer forwards and a copy backwards, and merges their outputs (`concat`,
 * `sum`, `mul`, `ave`, or null for both). Weights: the forward layer's, then the backward's.
 */
export class Bidirectional extends Layer {
  static override readonly className: string = "Bidirectional";
  static readonly callKwargs = { mask: null };
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
  readonly mergeMode: MergeMode;

  constructor(args: BidirectionalArgs, ctx: FromConfigContext = {}) {
    super(args);
    if (!(args.layer instanceof RNN)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Bidirectional layer "${this.name}"`,
          `it wraps a recurrent layer, got ${args.layer?.className ?? String(args.layer)}`,
        ),
      );
    }
    if (!MERGE_MODES.includes(args.mergeMode)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Bidirectional layer "${this.name}"`,
          `merge_mode must be concat, sum, mul, ave or null, got ${JSON.stringify(args.mergeMode)}`,
        ),
      );
    }
    this.mergeMode = args.mergeMode === undefined ? "concat" : args.mergeMode;
    const layer = args.layer;
    const forward = copyLayer(layer, { name: `forward_${stripPrefix(layer.name, "forward_")}` }, ctx) as RNN;
    const backward =
      args.backwardLayer ??
      copyLayer(
        layer,
        { name: `backward_${stripPrefix(layer.name, "backward_")}`, go_backwards: !layer.goBackwards },
        ctx,
      );
    if (!(backward instanceof RNN) || backward.goBackwards === forward.goBackwards) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Bidirectional layer "${this.name}"`,
          "the backward layer must be a recurrent layer with the other go_backwards",
        ),
      );
    }
    for (const key of ["stateful", "returnSequences", "returnState"] as const) {
      if (forward[key] !== backward[key]) {
        throw new EngineError(
          "invalid-argument",
          cannot("make", `Bidirectional layer "${this.name}"`, `the forward and backward layers differ in ${key}`),
        );
      }
    }
    // Keras zeroes masked outputs of the copies when they return sequences.
    (forward as { zeroOutputForMask: boolean }).zeroOutputForMask = forward.returnSequences;
    (backward as { zeroOutputForMask: boolean }).zeroOutputForMask = backward.returnSequences;
    this.forwardLayer = this.trackLayer(forward, "forward_layer");
    this.backwardLayer = this.trackLayer(backward, "backward_layer");
  }

  override build(inputShape: Shape | Shape[]): void {
    this.forwardLayer.maybeBuild(inputShape);
    this.backwardLayer.maybeBuild(inputShape);
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const out = tf.tidy(() => {
      const [y, ...fwStates] = this.forwardLayer.applyMulti(x, options);
      const [yb, ...bwStates] = this.backwardLayer.applyMulti(x, options);
      // The backward layer returns its sequence in processing order: flip it back.
      const yr = this.forwardLayer.returnSequences ? tf.reverse(yb!, 1) : yb!;
      const merged =
        this.mergeMode === "concat"
          ? [tf.concat([y!, yr], -1)]
          : this.mergeMode === "sum"
            ? [tf.add(y!, yr)]
            : this.mergeMode === "mul"
              ? [tf.mul(y!, yr)]
              : this.mergeMode === "ave"
                ? [tf.mul(tf.add(y!, yr), 0.5)]
                : [y!, yr];
      return [...merged, ...fwStates, ...bwStates];
    });
    return out.length === 1 ? out[0]! : out;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    const inner = this.forwardLayer.computeOutputShape(inputShape);
    const [main, ...states] = isMultiShape(inner) ? inner : [inner];
    const outs: Shape[] =
      this.mergeMode === "concat"
        ? [[...main!.slice(0, -1), main![main!.length - 1] === null ? null : (main![main!.length - 1] as number) * 2]]
        : this.mergeMode === null
          ? [main!, main!]
          : [main!];
    const all = [...outs, ...states, ...states];
    return all.length === 1 ? all[0]! : all;
  }

  override getConfig(): JsonObject {
    return {
      ...super.getConfig(),
      merge_mode: this.mergeMode,
      layer: serializeLayer(this.forwardLayer),
      backward_layer: serializeLayer(this.backwardLayer),
    };
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const args = layerArgsFromConfig({ fields: [] }, config, ctx);
    if (!isJsonObject(config.layer)) {
      throw new EngineError(
        "invalid-config",
        cannot("read", `Bidirectional layer "${String(config.name)}"`, 'expected a "layer" object'),
      );
    }
    const layer = deserializeLayer(config.layer, ctx);
    const backward = isJsonObject(config.backward_layer) ? deserializeLayer(config.backward_layer, ctx) : undefined;
    const mergeMode = config.merge_mode === undefined ? "concat" : (config.merge_mode as MergeMode);
    return new (this as unknown as typeof Bidirectional)(
      { ...args, layer, mergeMode, backwardLayer: backward } as BidirectionalArgs,
      ctx,
    ) as unknown as T;
  }
}

/** Options of TimeDistributed. */
export interface TimeDistributedArgs extends LayerArgs {
  readonly layer: Layer;
}

/** Applies a layer to every time step: `[batch, steps, ...]` runs as `[batch * steps, ...]`. */
export class TimeDistributed extends Layer {
  static override readonly className: string = "TimeDistributed";
  static readonly callKwargs = { mask: null };
  readonly layer: Layer;

  constructor(args: TimeDistributedArgs) {
    super(args);
    if (!(args.layer instanceof Layer)) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `TimeDistributed layer "${this.name}"`, "it wraps a layer"),
      );
    }
    this.layer = this.trackLayer(args.layer, "layer");
  }

  private childShape(inputShape: Shape | Shape[]): Shape {
    const s = oneShape(inputShape);
    if (s.length < 3) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "build",
          `TimeDistributed layer "${this.name}"`,
          `expected an input of rank 3 or more, got ${JSON.stringify(s)}`,
        ),
      );
    }
    return [s[0] ?? null, ...s.slice(2)];
  }

  override build(inputShape: Shape | Shape[]): void {
    this.layer.maybeBuild(this.childShape(inputShape));
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const [b, t] = x.shape as [number, number];
    return tf.tidy(() => {
      const y = this.layer.apply(tf.reshape(x, [b * t, ...x.shape.slice(2)]), options);
      return tf.reshape(y, [b, t, ...y.shape.slice(1)]);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | undefined {
    const s = oneShape(inputShape);
    const inner = this.layer.computeOutputShape(this.childShape(inputShape));
    if (inner === undefined || isMultiShape(inner)) return undefined;
    return [s[0] ?? null, s[1] ?? null, ...inner.slice(1)];
  }

  override getConfig(): JsonObject {
    return { ...super.getConfig(), layer: serializeLayer(this.layer) };
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const args = layerArgsFromConfig({ fields: [] }, config, ctx);
    if (!isJsonObject(config.layer)) {
      throw new EngineError(
        "invalid-config",
        cannot("read", `TimeDistributed layer "${String(config.name)}"`, 'expected a "layer" object'),
      );
    }
    return new this({ ...args, layer: deserializeLayer(config.layer, ctx) } as never);
  }
}
