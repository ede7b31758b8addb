import { type DType, type SavedNode, type SavedVariable, cannot } from "@kerastore/core";
import { KerasOperation, type KerasTensor, type Layer, Model, layersWithOtherDefinitions } from "@kerastore/engine";
import {
  FunctionBuilder,
  type RootFunctionToWrite,
  type SignatureToWrite,
  type WrittenTensorSpec,
  attr,
} from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";
import { LAYER_LOWERINGS, type LoweredTensor } from "./lower-layers.js";

/** The function names of the serving signature and of the root's `__call__` (TensorFlow's naming). */
export const SIGNATURE_FUNCTION = "__inference_signature_wrapper_1";
export const CALL_FUNCTION = "__inference___call___2";

/** Formats that hold any layer, for the error naming a layer without a lowering. */
const HOLDING_FORMATS = ".keras or .h5";

function asDType(dtype: string): DType {
  return dtype as DType;
}

class Lowerer {
  readonly b: FunctionBuilder;
  readonly captures: SavedVariable[] = [];
  private readonly reads = new Map<SavedVariable, string>();

  constructor(
    private readonly top: string,
    name: string,
    sortOutputs: boolean,
    private readonly keras2Definitions: boolean,
  ) {
    this.b = new FunctionBuilder(name, sortOutputs);
  }

  read(v: SavedVariable, scope: string, name: string): string {
    const known = this.reads.get(v);
    if (known !== undefined) return known;
    const handle = this.b.capture(name, v.value.dtype, v.value.shape);
    this.captures.push(v);
    const ref = this.b.op("ReadVariableOp", `${scope}/${name}/ReadVariableOp`, [handle], {
      dtype: attr.type(v.value.dtype),
    });
    this.reads.set(v, ref);
    return ref;
  }

  /** Lowers `model`'s graph given its inputs; returns its outputs. */
  graph(model: Model, tree: SavedNode | undefined, given: readonly LoweredTensor[], prefix: string): LoweredTensor[] {
    if (model.inputs.length === 0) {
      throw new LoweringError(
        "unsupported",
        cannot(
          "save",
          `model "${model.name}" as a SavedModel`,
          "it is not built (give it an Input)",
          `save to ${HOLDING_FORMATS}`,
        ),
      );
    }
    const known = new Map<KerasTensor, LoweredTensor>();
    for (const [i, t] of model.inputs.entries()) known.set(t, given[i]!);
    const visiting = new Set<KerasTensor>();
    const tensorOf = (t: KerasTensor): LoweredTensor => {
      const have = known.get(t);
      if (have !== undefined) return have;
      if (visiting.has(t))
        throw new LoweringError(
          "unsupported",
          cannot("save", `model "${model.name}" as a SavedModel`, "its graph has a cycle"),
        );
      visiting.add(t);
      const { layer, nodeIndex } = t.history;
      const node = layer.inboundNodes[nodeIndex];
      if (node === undefined)
        throw new LoweringError(
          "unsupported",
          cannot("save", `model "${model.name}" as a SavedModel`, `layer "${layer.name}" has no call ${nodeIndex}`),
        );
      const inputs = node.inputs.map(tensorOf);
      const outs = this.call(model, tree, layer, inputs, node.outputs, prefix);
      for (const [i, o] of node.outputs.entries()) known.set(o, outs[i]!);
      return known.get(t)!;
    };
    return model.outputs.map(tensorOf);
  }

  private call(
    model: Model,
    tree: SavedNode | undefined,
    layer: Layer,
    inputs: LoweredTensor[],
    outputs: readonly KerasTensor[],
    prefix: string,
  ): LoweredTensor[] {
    const edge = model.edgeName(layer);
    const child = tree?.children.find((e) => e.name === edge)?.node;
    const scope = `${prefix}${layer.name}`;
    if (layer instanceof Model) return this.graph(layer, child, inputs, `${scope}/`);
    return this.lowerLayer(layer, child, inputs, outputs, scope);
  }

  private lowerLayer(
    layer: Layer,
    child: SavedNode | undefined,
    inputs: readonly LoweredTensor[],
    outputs: readonly KerasTensor[] | undefined,
    scope: string,
  ): LoweredTensor[] {
    const where = `layer "${layer.name}" (${layer.className}) of ${this.top}`;
    // A Keras 3 operation node (`x + 3.0`) may share its class name with a layer (Subtract): never that layer's lowering.
    const lowering = layer instanceof KerasOperation ? undefined : LAYER_LOWERINGS[layer.className];
    if (lowering === undefined) {
      throw new LoweringError(
        "unsupported",
        cannot(
          "save",
          `${where} as a SavedModel`,
          layer instanceof KerasOperation
            ? `Kerastore has no TensorFlow lowering for Keras operation nodes (${layer.opModule}.${layer.className})`
            : `Kerastore has no TensorFlow lowering for ${layer.className} layers`,
          `save to ${HOLDING_FORMATS}, which hold any layer`,
        ),
      );
    }
    const refs = lowering({
      b: this.b,
      layer,
      config: layer.getConfig(),
      scope,
      keras2Definitions: this.keras2Definitions,
      inputs,
      outputShapes: outputs?.map((o) => o.shape) ?? [],
      where,
      weight: (name) => {
        const found = findWeight(layer, child, name);
        if (found === undefined) return undefined;
        if (found === null) {
          throw new LoweringError(
            "format-cannot-write",
            cannot("save", `${where} as a SavedModel`, `the saved tree has no value for its weight "${name}"`),
          );
        }
        return this.read(found, scope, name);
      },
      sublayer: (sub, subInputs) => {
        const subNode = child?.children.find((e) => e.name === layer.edgeName(sub))?.node;
        return this.lowerLayer(sub, subNode, subInputs, undefined, `${scope}/${sub.name}`).map((t) => t.ref);
      },
    });
    // Inside a wrapper the static shapes are not needed (the wrapper's own outputs carry them).
    return refs.map((ref, i) => ({
      ref,
      shape: outputs?.[i]?.shape ?? [],
      dtype: asDType(outputs?.[i]?.dtype ?? "float32"),
    }));
  }
}

/**
 * The saved value of the weight `name` of `layer` (its own weights first, then those of the
 * sublayers it tracks, such as an RNN's `cell`): undefined when the layer has no such weight,
 * null when the saved tree lacks its value.
 */
function findWeight(
  layer: Layer,
  node: SavedNode | undefined,
  name: string,
  depth = 0,
): SavedVariable | null | undefined {
  const index = layer.ownWeights.findIndex((w) => w.name === name);
  if (index >= 0) return node?.variables[index] ?? null;
  if (depth > 4) return undefined;
  for (const sub of layer.trackedLayers) {
    const subNode = node?.children.find((e) => e.name === layer.edgeName(sub))?.node;
    const found = findWeight(sub, subNode, name, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function lower(model: Model, tree: SavedNode, name: string, sortOutputs: boolean) {
  // A model read from a Keras 2 file computes hard_sigmoid as Keras 2 did: so does its graph.
  const keras2 = layersWithOtherDefinitions(model, 3).length > 0;
  const lowerer = new Lowerer(`model "${model.name}"`, name, sortOutputs, keras2);
  const taken = new Set<string>();
  const inputs: WrittenTensorSpec[] = model.inputs.map((t) => {
    let input = t.history.layer.name;
    for (let i = 1; taken.has(input); i++) input = `${t.history.layer.name}_${i}`;
    taken.add(input);
    return { name: input, dtype: asDType(t.dtype), shape: [...t.shape] };
  });
  // A signature's keyword inputs are flattened sorted by name (TensorFlow's dict order); a
  // list argument keeps the model's order.
  const order = inputs.map((_, i) => i);
  if (sortOutputs) order.sort((a, b) => (inputs[a]!.name < inputs[b]!.name ? -1 : 1));
  const refs: string[] = [];
  for (const i of order) refs[i] = lowerer.b.input(inputs[i]!.name, inputs[i]!.dtype, inputs[i]!.shape);
  const given = inputs.map((spec, i) => ({ ref: refs[i]!, shape: model.inputs[i]!.shape, dtype: spec.dtype }));
  const outputs = lowerer.graph(model, tree, given, "");
  for (const [i, o] of outputs.entries()) lowerer.b.output(`output_${i}`, o.ref, o.dtype, [...o.shape]);
  return { builder: lowerer.b, inputs: order.map((i) => inputs[i]!), captures: lowerer.captures };
}

/**
 * Lowers a built Keras model to one TensorFlow function (the `serving_default` signature):
 * inputs named as the model's Input layers, outputs `output_0`, `output_1`, ... as Keras 3's
 * `model.export` names them, every weight read from `tree` (the saved tree of the model,
 * layers as edges) through a captured variable.
 */
export function lowerModel(model: Model, tree: SavedNode): SignatureToWrite {
  return lower(model, tree, SIGNATURE_FUNCTION, true);
}

/**
 * The same function as the root's `__call__`: one positional argument (the tensor, or the list
 * of tensors of a multi-input model), returning the tensor or the list of outputs, so that
 * Python's `tf.saved_model.load(dir)(x)` works as the guide shows.
 */
export function lowerCall(model: Model, tree: SavedNode): RootFunctionToWrite {
  const lowered = lower(model, tree, CALL_FUNCTION, false);
  return {
    ...lowered,
    argName: "inputs",
    inputIsList: model.inputs.length > 1,
    outputIsList: model.outputs.length > 1,
  };
}
