import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";

/** `[query, value]` or `[query, value, key]` of a call (key defaults to value). */
function qkv(layer: Layer, inputs: tf.Tensor | tf.Tensor[]): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (!Array.isArray(inputs) || inputs.length < 2 || inputs.length > 3) {
    throw new EngineError(
      "invalid-argument",
      cannot(
        "call",
        `${layer.className} layer "${layer.name}"`,
        "it takes a list [query, value] or [query, value, key]",
      ),
    );
  }
  return [inputs[0]!, inputs[1]!, inputs[2] ?? inputs[1]!];
}

/** Options of Attention and AdditiveAttention. */
export interface AttentionArgs extends LayerArgs {
  readonly useScale?: boolean | undefined;
  readonly dropout?: number | undefined;
  readonly seed?: number | null | undefined;
  /** Attention only: `dot` (Luong) or `concat`. */
  readonly scoreMode?: "dot" | "concat" | undefined;
}

/** What the two attention layers share: softmax of scores over the keys, then a weighted sum of the values. */
abstract class BaseAttention extends Layer {
  static readonly callKwargs: JsonObject = { mask: null };
  declare readonly useScale: boolean;
  declare readonly dropout: number;
  declare readonly seed: number | null;

  // Keras's attention layers have a build step (their configs record build_config).
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  protected abstract scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor;

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const [query, value, key] = qkv(this, inputs);
    return tf.tidy(() => {
      let weights = tf.softmax(this.scores(query, key));
      if (options.training === true && this.dropout > 0)
        weights = tf.dropout(weights, this.dropout, undefined, this.seed ?? undefined);
      return tf.matMul(weights as tf.Tensor3D, value as tf.Tensor3D);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = inputShape as Shape[];
    const q = shapes[0]!;
    const v = shapes[1]!;
    return [...q.slice(0, -1), v[v.length - 1] ?? null];
  }
}

/** Dot-product (Luong) attention over `[batch, Tq, dim]` queries and `[batch, Tv, dim]` keys/values; optional scalar `scale`. */
export class Attention extends BaseAttention {
  static override readonly className: string = "Attention";
  static override readonly fields = [
    field("use_scale", "useScale", false),
    field("score_mode", "scoreMode", "dot"),
    field("dropout", "dropout", 0),
    field("seed", "seed", null),
  ];
  declare readonly scoreMode: "dot" | "concat";
  scale: Variable | undefined;
  concatScoreWeight: Variable | undefined;

  constructor(args: AttentionArgs = {}) {
    super(args);
    if (this.scoreMode !== "dot" && this.scoreMode !== "concat") {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Attention layer "${this.name}"`,
          `score_mode must be "dot" or "concat", got ${JSON.stringify(this.scoreMode)}`,
        ),
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    if (this.useScale) this.scale = this.addWeight({ name: "scale", shape: [], initializer: "Ones" });
    if (this.scoreMode === "concat")
      this.concatScoreWeight = this.addWeight({ name: "concat_score_weight", shape: [], initializer: "Ones" });
    super.build(inputShape);
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    if (this.scoreMode === "dot") {
      const s = tf.matMul(query as tf.Tensor3D, key as tf.Tensor3D, false, true);
      return this.scale === undefined ? s : tf.mul(s, this.scale.value);
    }
    let sum = tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3));
    if (this.scale !== undefined) sum = tf.mul(this.scale.value, sum);
    return tf.mul(this.concatScoreWeight!.value, tf.sum(tf.tanh(sum), -1));
  }
}

/** Additive (Bahdanau) attention: scores `sum(scale * tanh(q + k))`; weight `scale` of the feature size. */
export class AdditiveAttention extends BaseAttention {
  static override readonly className: string = "AdditiveAttention";
  static override readonly fields = [
    field("use_scale", "useScale", true),
    field("dropout", "dropout", 0),
    field("seed", "seed", null),
  ];
  scale: Variable | undefined;

  constructor(args: AttentionArgs = {}) {
    super(args);
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = inputShape as Shape[];
    const dim = shapes[0]?.[shapes[0].length - 1];
    if (this.useScale) {
      if (typeof dim !== "number")
        throw new EngineError(
          "invalid-shape",
          cannot("build", `AdditiveAttention layer "${this.name}"`, "the query's last axis must be known"),
        );
      this.scale = this.addWeight({ name: "scale", shape: [dim], initializer: "GlorotUniform" });
    }
    super.build(inputShape);
  }

  protected scores(query: tf.Tensor, key: tf.Tensor): tf.Tensor {
    const t = tf.tanh(tf.add(tf.expandDims(query, -2), tf.expandDims(key, -3)));
    return tf.sum(this.scale === undefined ? t : tf.mul(this.scale.value, t), -1);
  }
}
