import { cannot } from "@kerastore/core";
import { type KerasTensor, type Layer, type LayerNode, Model, type Shape } from "@kerastore/engine";
import { TensorType, type TfliteModel } from "@kerastore/tflite";
import { TfliteLoweringError } from "./errors.js";
import { withInputShapes } from "./fixed-shapes.js";
import { GraphBuilder, type WeightStorage } from "./graph-builder.js";
import type { FoldedNorm, Lowered, WeightValue } from "./lower-call.js";
import { normParams } from "./lower-dense.js";
import { LAYER_LOWERINGS } from "./lower-layers.js";

/** Options of `lowerToTflite`, as Python's `tf.lite.TFLiteConverter` offers them. */
export interface TfliteConvertOptions {
  /**
   * How weights are stored: `"none"` float32 (default); `"float16"` half-precision weights
   * dequantized at run time (`target_spec.supported_types = [tf.float16]`); `"dynamic-range"`
   * int8 weights of FULLY_CONNECTED and CONV_2D ops (`optimizations = [tf.lite.Optimize.DEFAULT]`).
   */
  readonly quantize?: "none" | "float16" | "dynamic-range" | undefined;
  /** The batch size fixed in the model's shapes; 1 as Python's converter fixes it. */
  readonly batchSize?: number | undefined;
  /**
   * Full input shapes (batch included), for a model with sizes unknown beside the batch (a
   * sequence model of any length): the model is rebuilt with these shapes, the same weights.
   */
  readonly inputShapes?: readonly (readonly number[])[] | undefined;
}

const DEFAULTS = Object.freeze({ quantize: "none", batchSize: 1 } as const);

/** The layers whose linear output may take in a following BatchNormalization. */
const FOLDS_NORM = new Set(["Dense", "Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D"]);

class Lowerer {
  /** BatchNormalization calls already folded into the op before them. */
  private readonly folded = new Set<LayerNode>();

  constructor(
    readonly g: GraphBuilder,
    private readonly batch: number,
    private readonly top: string,
  ) {}

  /** Fills the batch size into a Keras shape; other unknown sizes are an error naming the layer. */
  concrete(shape: Shape, where: string): number[] {
    return shape.map((d, i) => {
      if (d !== null) return d;
      if (i === 0) return this.batch;
      throw new TfliteLoweringError(
        "unsupported",
        cannot(
          "convert",
          `${where} to TFLite`,
          `its shape [${shape.map((s) => s ?? "None").join(", ")}] has unknown sizes beside the batch`,
          "give the full input shapes in the inputShapes option",
        ),
      );
    });
  }

  graph(model: Model, given: readonly Lowered[], prefix: string): Lowered[] {
    if (model.inputs.length === 0) {
      throw new TfliteLoweringError(
        "invalid-model",
        cannot("convert", `model "${model.name}" to TFLite`, "it is not built (give it an Input)"),
      );
    }
    const consumers = new Map<KerasTensor, LayerNode[]>();
    for (const layer of model.layers) {
      for (const node of layer.inboundNodes)
        for (const t of node.inputs) consumers.set(t, [...(consumers.get(t) ?? []), node]);
    }
    const outputs = new Set(model.outputs);
    const known = new Map<KerasTensor, Lowered>();
    for (const [i, t] of model.inputs.entries()) known.set(t, given[i]!);
    const visiting = new Set<KerasTensor>();
    const tensorOf = (t: KerasTensor): Lowered => {
      const have = known.get(t);
      if (have !== undefined) return have;
      if (visiting.has(t))
        throw new TfliteLoweringError(
          "invalid-model",
          cannot("convert", `model "${model.name}" to TFLite`, "its graph has a cycle"),
        );
      visiting.add(t);
      const { layer, nodeIndex } = t.history;
      const node = layer.inboundNodes[nodeIndex];
      if (node === undefined)
        throw new TfliteLoweringError(
          "invalid-model",
          cannot("convert", `model "${model.name}" to TFLite`, `layer "${layer.name}" has no call ${nodeIndex}`),
        );
      const inputs = node.inputs.map(tensorOf);
      const outs = this.call(layer, node, inputs, prefix, (out) => {
        // Fold a BatchNormalization that alone reads this linear output (Python's converter does too).
        const readers = consumers.get(out) ?? [];
        const reader = readers[0];
        if (
          readers.length !== 1 ||
          outputs.has(out) ||
          reader === undefined ||
          reader.layer.className !== "BatchNormalization"
        )
          return undefined;
        const axis = reader.layer.getConfig().axis;
        const list = Array.isArray(axis) ? axis : [axis ?? -1];
        if (list.length !== 1 || (list[0] !== -1 && list[0] !== out.shape.length - 1)) return undefined;
        this.folded.add(reader);
        return normParams({
          config: reader.layer.getConfig(),
          weight: (n) => weightOf(reader.layer, n),
          where: `layer "${reader.layer.name}"`,
        });
      });
      for (const [i, o] of node.outputs.entries()) known.set(o, outs[i]!);
      return known.get(t)!;
    };
    return model.outputs.map(tensorOf);
  }

  private call(
    layer: Layer,
    node: LayerNode,
    inputs: Lowered[],
    prefix: string,
    foldFor: (out: KerasTensor) => FoldedNorm | undefined,
  ): Lowered[] {
    const name = `${prefix}${layer.name}`;
    if (layer instanceof Model) return this.graph(layer, inputs, `${name}/`);
    const where = `layer "${layer.name}" (${layer.className}) of ${this.top}`;
    if (this.folded.has(node)) return inputs;
    const lowering = LAYER_LOWERINGS[layer.className];
    if (lowering === undefined) {
      throw new TfliteLoweringError(
        "unsupported",
        cannot(
          "convert",
          `${where} to TFLite`,
          `Kerastore has no TFLite lowering for ${layer.className} layers`,
          "save to .keras or .h5, which hold any layer",
        ),
      );
    }
    const activation = (layer as unknown as { activation?: { name: string } }).activation;
    const out = node.outputs[0];
    const fold =
      FOLDS_NORM.has(layer.className) &&
      node.outputs.length === 1 &&
      out !== undefined &&
      (activation === undefined || activation.name === "linear")
        ? foldFor(out)
        : undefined;
    return lowering({
      g: this.g,
      layer,
      config: layer.getConfig(),
      name,
      inputs,
      outputShapes: node.outputs.map((o) => this.concrete(o.shape, where)),
      where,
      weight: (n) => weightOf(layer, n),
      fold,
    });
  }
}

/** The current value of weight `name` of `layer` or of a sublayer it tracks (an RNN's cell). */
function weightOf(layer: Layer, name: string, depth = 0): WeightValue | undefined {
  const own = layer.ownWeights.find((w) => w.name === name);
  if (own !== undefined)
    return { values: Float32Array.from(own.value.dataSync() as ArrayLike<number>), shape: [...own.value.shape] };
  if (depth > 4) return undefined;
  for (const sub of layer.trackedLayers) {
    const found = weightOf(sub, name, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Lowers a built Keras model to a TFLite model of builtin ops (one subgraph, the
 * `serving_default` signature: inputs named as the model's Input layers, outputs
 * `output_0`, ...).
 *
 * The batch size is fixed (1 unless given); every other size must be known. Dropout and the
 * other inference-time identities are left out, BatchNormalization after a linear Dense or
 * convolution is folded into its weights, relu/relu6 are fused into the op before them, and
 * recurrent layers are unrolled. A layer without a lowering is named in the error.
 */
export function lowerToTflite(model: Model, options: TfliteConvertOptions = {}): TfliteModel {
  if (options.inputShapes !== undefined) {
    const fixed = withInputShapes(model, options.inputShapes);
    try {
      return lowerToTflite(fixed, {
        ...options,
        inputShapes: undefined,
        batchSize: options.inputShapes[0]?.[0] ?? options.batchSize,
      });
    } finally {
      for (const w of fixed.weights) w.value.dispose();
    }
  }
  const quantize = options.quantize ?? DEFAULTS.quantize;
  const batchSize = options.batchSize ?? DEFAULTS.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TfliteLoweringError(
      "invalid-argument",
      cannot("convert", `model "${model.name}" to TFLite`, `batchSize ${batchSize} is not a positive integer`),
    );
  }
  const storage: WeightStorage =
    quantize === "float16" ? "float16" : quantize === "dynamic-range" ? "dynamic-range" : "float32";
  const g = new GraphBuilder(storage);
  const lowerer = new Lowerer(g, batchSize, `model "${model.name}"`);
  const taken = new Set<string>();
  const inputNames = model.inputs.map((t) => {
    let name = t.history.layer.name;
    for (let i = 1; taken.has(name); i++) name = `${t.history.layer.name}_${i}`;
    taken.add(name);
    return name;
  });
  const given = model.inputs.map((t, i) => {
    const shape = lowerer.concrete(t.shape, `input "${inputNames[i]}" of model "${model.name}"`);
    const type = t.dtype === "int32" || t.dtype === "int64" ? TensorType.INT32 : TensorType.FLOAT32;
    return { index: g.input(`serving_default_${inputNames[i]}`, shape, type), shape };
  });
  const outputs = lowerer.graph(model, given, "");
  return g.finish(
    outputs.map((o) => o.index),
    { inputs: inputNames, outputs: outputs.map((_, i) => `output_${i}`) },
    `Kerastore TFLite converter (${model.name})`,
  );
}
