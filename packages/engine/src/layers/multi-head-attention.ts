import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import type { Constraint } from "../constraints.js";
import { EngineError } from "../errors.js";
import type { Initializer } from "../initializers.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import type { Regularizer } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { Softmax } from "./activation-layers.js";
import { Dropout } from "./core.js";
import { withActivityRegularizer } from "./layer-utils.js";

interface ProjectionSpec {
  readonly kernelShape: number[];
  readonly biasShape: number[] | null;
  readonly initializers: [Initializer, Initializer];
  readonly regularizers: [Regularizer | null, Regularizer | null];
  readonly constraints: [Constraint | null, Constraint | null];
}

/**
 * The projections MultiHeadAttention owns: Keras's EinsumDense sublayers `abc,cde->abde`
 * (kernel `[dim, heads, size]`, bias `[heads, size]`) and `abcd,cde->abe` (kernel
 * `[heads, size, dim]`, bias `[dim]`), computed as a matrix product over the flattened axes.
 */
class Projection extends Layer {
  static override readonly className: string = "EinsumDense";
  kernel: Variable | undefined;
  bias: Variable | undefined;

  constructor(
    name: string,
    private readonly spec: ProjectionSpec,
  ) {
    super({ name });
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = this.spec;
    this.kernel = this.addWeight({
      name: "kernel",
      shape: s.kernelShape,
      initializer: s.initializers[0],
      regularizer: s.regularizers[0],
      constraint: s.constraints[0],
    });
    if (s.biasShape !== null)
      this.bias = this.addWeight({
        name: "bias",
        shape: s.biasShape,
        initializer: s.initializers[1],
        regularizer: s.regularizers[1],
        constraint: s.constraints[1],
      });
    super.build(inputShape);
  }

  /** `[B, T, dim]` -> `[B, T, heads, size]`. */
  split(x: tf.Tensor): tf.Tensor {
    const [dim, heads, size] = this.spec.kernelShape as [number, number, number];
    const [b, t] = x.shape as [number, number, number];
    let y: tf.Tensor = tf.matMul(tf.reshape(x, [b * t, dim]), tf.reshape(this.kernel!.value, [dim, heads * size]));
    y = tf.reshape(y, [b, t, heads, size]);
    return this.bias === undefined ? y : tf.add(y, this.bias.value);
  }

  /** `[B, T, heads, size]` -> `[B, T, dim]`. */
  merge(x: tf.Tensor): tf.Tensor {
    const [heads, size, dim] = this.spec.kernelShape as [number, number, number];
    const [b, t] = x.shape as [number, number, number, number];
    let y: tf.Tensor = tf.matMul(
      tf.reshape(x, [b * t, heads * size]),
      tf.reshape(this.kernel!.value, [heads * size, dim]),
    );
    y = tf.reshape(y, [b, t, dim]);
    return this.bias === undefined ? y : tf.add(y, this.bias.value);
  }
}

/** Options of MultiHeadAttention. */
export interface MultiHeadAttentionArgs extends LayerArgs {
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim?: number | null | undefined;
  readonly dropout?: number | undefined;
  readonly useBias?: boolean | undefined;
  readonly outputShape?: number | readonly number[] | null | undefined;
}

const isDim = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;

/**
 * Keras's MultiHeadAttention over sequences `[batch, T, dim]`: query/key/value projections per
 * head, scaled dot-product attention, output projection. The engine passes it `[query, value]`
 * or `[query, value, key]` (Keras calls it `layer(query, value, key)`).
 */
export class MultiHeadAttention extends Layer {
  static override readonly className: string = "MultiHeadAttention";
  static readonly spreadInputs = true;
  static override readonly fields = [
    field("num_heads", "numHeads", null),
    field("key_dim", "keyDim", null),
    field("value_dim", "valueDim", null),
    field("dropout", "dropout", 0),
    field("use_bias", "useBias", true),
    field("use_gate", "useGate", false),
    field("output_shape", "outputShape", null),
    field("attention_axes", "attentionAxes", null),
    field("sliding_window", "slidingWindow", null),
    field("kernel_initializer", "kernelInitializer", "GlorotUniform", "initializer"),
    field("bias_initializer", "biasInitializer", "Zeros", "initializer"),
    field("kernel_regularizer", "kernelRegularizer", null, "regularizer"),
    field("bias_regularizer", "biasRegularizer", null, "regularizer"),
    field("kernel_constraint", "kernelConstraint", null, "constraint"),
    field("bias_constraint", "biasConstraint", null, "constraint"),
    field("seed", "seed", null),
  ];
  declare readonly numHeads: number;
  declare readonly keyDim: number;
  declare valueDim: number | null;
  declare readonly dropout: number;
  declare readonly useBias: boolean;
  declare readonly useGate: boolean;
  declare readonly outputShape: number | number[] | null;
  declare readonly attentionAxes: number | number[] | null;
  declare readonly slidingWindow: number | null;
  declare readonly kernelInitializer: Initializer;
  declare readonly biasInitializer: Initializer;
  declare readonly kernelRegularizer: Regularizer | null;
  declare readonly biasRegularizer: Regularizer | null;
  declare readonly kernelConstraint: Constraint | null;
  declare readonly biasConstraint: Constraint | null;
  declare readonly seed: number | null;
  private projections: { query: Projection; key: Projection; value: Projection; output: Projection } | undefined;

  constructor(args: MultiHeadAttentionArgs) {
    super(args);
    const where = `MultiHeadAttention layer "${this.name}"`;
    if (!isDim(this.numHeads) || !isDim(this.keyDim)) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          where,
          `num_heads and key_dim must be positive integers, got ${String(this.numHeads)} and ${String(this.keyDim)}`,
        ),
      );
    }
    this.valueDim ??= this.keyDim;
    const unsupported = this.useGate
      ? "use_gate"
      : this.slidingWindow !== null
        ? "sliding_window"
        : this.attentionAxes !== null && !isLastAxis(this.attentionAxes)
          ? "attention_axes"
          : null;
    if (unsupported !== null)
      throw new EngineError("unsupported", cannot("make", where, `${unsupported} is not supported by Kerastore yet`));
  }

  override build(inputShape: Shape | Shape[]): void {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape, inputShape]) as Shape[];
    const [q, v] = shapes as [Shape, Shape];
    const k = shapes[2] ?? v;
    for (const s of [q, v, k]) {
      if (s.length !== 3 || typeof s[2] !== "number") {
        throw new EngineError(
          "unsupported",
          cannot(
            "build",
            `MultiHeadAttention layer "${this.name}"`,
            `Kerastore runs it on sequences [batch, steps, features] with known features, got ${JSON.stringify(s)}`,
          ),
        );
      }
    }
    const out =
      this.outputShape === null
        ? (q[2] as number)
        : Array.isArray(this.outputShape)
          ? this.outputShape[0]!
          : this.outputShape;
    const spec = (kernelShape: number[], biasShape: number[]): ProjectionSpec => ({
      kernelShape,
      biasShape: this.useBias ? biasShape : null,
      initializers: [this.kernelInitializer, this.biasInitializer],
      regularizers: [this.kernelRegularizer, this.biasRegularizer],
      constraints: [this.kernelConstraint, this.biasConstraint],
    });
    const h = this.numHeads;
    const vd = this.valueDim!;
    const query = new Projection("query", spec([q[2] as number, h, this.keyDim], [h, this.keyDim]));
    const key = new Projection("key", spec([k[2] as number, h, this.keyDim], [h, this.keyDim]));
    const value = new Projection("value", spec([v[2] as number, h, vd], [h, vd]));
    const output = new Projection("attention_output", spec([h, vd, out], [out]));
    // Keras builds them in this order, each in the layer's scope (paths `mha/query/kernel`).
    for (const [p, edge, shape] of [
      [query, "query_dense", q],
      [key, "key_dense", k],
      [value, "value_dense", v],
      [output, "output_dense", [q[0] ?? null, q[1] ?? null, h, vd]],
    ] as [Projection, string, Shape][]) {
      this.trackLayer(p, edge);
      p.maybeBuild(shape);
    }
    // Keras's weightless softmax and dropout sublayers: empty groups in a .keras weights file.
    this.trackLayer(new Softmax({ name: `${this.name}_softmax` }), "_softmax");
    this.trackLayer(new Dropout({ name: `${this.name}_dropout`, rate: this.dropout }), "_dropout_layer");
    this.projections = { query, key, value, output };
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs, inputs];
    const p = this.projections!;
    return tf.tidy(() => {
      const q = tf.transpose(tf.mul(p.query.split(list[0]!), 1 / Math.sqrt(this.keyDim)), [0, 2, 1, 3]);
      const k = tf.transpose(p.key.split(list[2] ?? list[1]!), [0, 2, 1, 3]);
      const v = tf.transpose(p.value.split(list[1]!), [0, 2, 1, 3]);
      let weights = tf.softmax(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true));
      if (options.training === true && this.dropout > 0)
        weights = tf.dropout(weights, this.dropout, undefined, this.seed ?? undefined);
      const heads = tf.transpose(tf.matMul(weights as tf.Tensor4D, v as tf.Tensor4D), [0, 2, 1, 3]);
      return p.output.merge(heads);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const q = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const out =
      this.outputShape === null ? q[2]! : Array.isArray(this.outputShape) ? this.outputShape[0]! : this.outputShape;
    return [q[0] ?? null, q[1] ?? null, out];
  }

  override getConfig(): JsonObject {
    return withActivityRegularizer(this, super.getConfig());
  }

  override getBuildConfig(): JsonObject | undefined {
    // Keras records the three input shapes by name.
    const shapes = (
      Array.isArray(this.buildInputShape?.[0]) ? this.buildInputShape : [this.buildInputShape, this.buildInputShape]
    ) as Shape[];
    const shapesDict: JsonObject = {
      query_shape: (shapes[0] ?? null) as JsonValue,
      value_shape: (shapes[1] ?? null) as JsonValue,
    };
    if (shapes[2] !== undefined) shapesDict.key_shape = shapes[2] as JsonValue;
    return { shapes_dict: shapesDict };
  }
}

function isLastAxis(axes: number | number[]): boolean {
  const list = Array.isArray(axes) ? axes : [axes];
  return list.length === 1 && (list[0] === -1 || list[0] === 1);
}
