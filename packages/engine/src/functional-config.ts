import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { deserializeLayer } from "./deserialize.js";
import { EngineError } from "./errors.js";
import { type FromConfigContext, preview } from "./keras-object.js";
import type { Layer } from "./layer.js";
import { InputLayer } from "./layers/input-layer.js";
import { KerasOperation, type OperationArg, constantArg } from "./layers/operations.js";
import type { Model, ModelArgs } from "./model.js";
import { callSymbolic } from "./symbolic-call.js";
import type { KerasTensor } from "./symbolic.js";

// A functional model's config (either Keras dialect) back into layers and symbolic tensors.

type TensorRef = [string, number, number];

function readRef(json: JsonValue | undefined, where: string): TensorRef {
  if (isJsonObject(json) && json.class_name === "__keras_tensor__" && isJsonObject(json.config))
    return readRef(json.config.keras_history, where);
  if (Array.isArray(json) && typeof json[0] === "string" && typeof json[1] === "number" && typeof json[2] === "number")
    return [json[0], json[1], json[2]];
  throw new EngineError(
    "invalid-config",
    cannot("read", where, `expected a tensor reference [layer, node, tensor], got ${preview(json)}`),
  );
}

/** `[a, 0, 0]` or `[[a, 0, 0], [b, 0, 0]]`: the refs and whether it was a list. */
function readRefList(json: JsonValue | undefined, where: string): { refs: TensorRef[]; isList: boolean } {
  // Keras 2 always wrote a list; as Keras 3 does, a list of one is one tensor.
  if (Array.isArray(json) && json.length > 0 && Array.isArray(json[0]))
    return { refs: json.map((j) => readRef(j, where)), isList: json.length > 1 };
  return { refs: [readRef(json, where)], isList: false };
}

interface InboundNode {
  refs: TensorRef[];
  isList: boolean;
  kwargs: JsonObject;
  /** An operation node's arguments: tensor slots and constants, in order. */
  operationArgs?: OperationArg[];
}

/** One inbound node of a layer config: its input refs (flat), whether a list, and its kwargs. */
function readInboundNode(json: JsonValue, where: string, operation = false): InboundNode {
  const node = readNodeRefs(json, where, operation);
  if (node.refs.length === 0)
    throw new EngineError("invalid-config", cannot("read", where, "the node passes no input tensor"));
  return node;
}

function readNodeRefs(json: JsonValue, where: string, operation: boolean): InboundNode {
  if (isJsonObject(json)) {
    // Keras 3: {"args": [tensor or [tensors]], "kwargs": {...}}
    const args = Array.isArray(json.args) ? json.args : [];
    const first = args[0];
    const kwargs = isJsonObject(json.kwargs) ? json.kwargs : {};
    if (Array.isArray(first)) return { refs: first.map((t) => readRef(t, where)), isList: true, kwargs };
    if (operation) {
      // A Keras 3 operation (`x + 3.0`): tensors and constants side by side, in any order.
      const operationArgs = args.map((t) => (isRef(t) ? ({ tensor: true } as const) : constantArg(t, where)));
      const refs = args.filter(isRef).map((t) => readRef(t, where));
      if (refs.length === 0)
        throw new EngineError("invalid-config", cannot("read", where, "the node passes no input tensor"));
      return { refs, isList: refs.length > 1, kwargs, operationArgs };
    }
    // Attention layers take (query, value[, key]) as separate arguments, positional or by keyword.
    const positional =
      args.length > 0 ? args.map((t, i) => (i === 0 || isRef(t) ? readRef(t, where) : refuseConstant(t, where))) : [];
    return withTensorKwargs(positional, kwargs, where);
  }
  if (Array.isArray(json)) {
    // Keras 2: [[layer, node, tensor, kwargs], ...]
    const refs = json.map((t) => readRef(Array.isArray(t) ? t.slice(0, 3) : t, where));
    const kw = Array.isArray(json[0]) && isJsonObject(json[0][3]) ? json[0][3] : {};
    if (refs.length === 1 && TENSOR_KWARGS.some((k) => kw[k] !== undefined)) return withTensorKwargs(refs, kw, where);
    return { refs, isList: refs.length > 1, kwargs: {} };
  }
  throw new EngineError("invalid-config", cannot("read", where, `expected an inbound node, got ${preview(json)}`));
}

function isRef(json: JsonValue | undefined): boolean {
  return (
    (isJsonObject(json) && json.class_name === "__keras_tensor__") ||
    (Array.isArray(json) && typeof json[0] === "string" && json.length === 3)
  );
}

// A layer (not an operation) called on a tensor and a constant: Keras layers take tensors only.
function refuseConstant(json: JsonValue | undefined, where: string): never {
  throw new EngineError(
    "unsupported",
    cannot(
      "read",
      where,
      `the call passes the constant ${preview(json)} beside its input tensor, which a Keras layer does not take`,
    ),
  );
}

// Keyword arguments that carry input tensors (MultiHeadAttention's `value` and `key`).
const TENSOR_KWARGS = ["query", "value", "key"] as const;

/** Positional refs plus the tensors passed as `query` / `value` / `key`, in that order; other kwargs kept. */
function withTensorKwargs(
  positional: TensorRef[],
  kwargs: JsonObject,
  where: string,
): { refs: TensorRef[]; isList: boolean; kwargs: JsonObject } {
  const refs = [...positional];
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(kwargs))
    if (!(TENSOR_KWARGS as readonly string[]).includes(key)) rest[key] = value;
  for (const key of TENSOR_KWARGS) {
    const value = kwargs[key];
    if (value !== undefined && value !== null) refs.push(readRef(value, where));
  }
  return { refs, isList: refs.length > 1, kwargs: rest };
}

const MAX_LAYERS = 100_000;

/** Makes a functional model of class `cls` from its Keras config (either dialect). */
export function functionalFromConfig(
  cls: new (args: ModelArgs) => Model,
  config: JsonObject,
  ctx: FromConfigContext,
): Model {
  const layerList = config.layers;
  if (!Array.isArray(layerList) || layerList.length > MAX_LAYERS) {
    throw new EngineError("invalid-config", cannot("read", "a functional model config", 'expected a "layers" list'));
  }
  const byName = new Map<string, Layer>();
  const pending: { layer: Layer; nodes: JsonValue[] }[] = [];
  for (const entry of layerList) {
    const layer = deserializeLayer(entry, ctx);
    const name = isJsonObject(entry) && typeof entry.name === "string" ? entry.name : layer.name;
    byName.set(name, layer);
    const nodes = isJsonObject(entry) && Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    pending.push({ layer, nodes: [...nodes] });
  }
  // Outputs of each layer's calls in this model, by node index (InputLayers: their own node).
  const produced = new Map<Layer, KerasTensor[][]>();
  for (const layer of byName.values()) if (layer instanceof InputLayer) produced.set(layer, [[layer.output]]);
  const tensorOf = (ref: TensorRef): KerasTensor | undefined => {
    const layer = byName.get(ref[0]);
    if (layer === undefined)
      throw new EngineError(
        "invalid-config",
        cannot("read", "a functional model config", `a node refers to unknown layer "${ref[0]}"`),
      );
    return produced.get(layer)?.[ref[1]]?.[ref[2]];
  };
  // Keras processes nodes in passes, since a config may list a layer before its inputs.
  let progress = true;
  while (progress && pending.some((p) => p.nodes.length > 0)) {
    progress = false;
    for (const p of pending) {
      while (p.nodes.length > 0) {
        const where = `the inbound nodes of layer "${p.layer.name}"`;
        const operation = p.layer instanceof KerasOperation;
        const node = readInboundNode(p.nodes[0]!, where, operation);
        if (operation && node.operationArgs !== undefined)
          (p.layer as KerasOperation).setArguments(node.operationArgs, where);
        const inputs = node.refs.map(tensorOf);
        if (inputs.some((t) => t === undefined)) break;
        const outs = callSymbolic(p.layer, node.isList ? (inputs as KerasTensor[]) : inputs[0]!, node.kwargs);
        const list = produced.get(p.layer) ?? [];
        list.push(outs);
        produced.set(p.layer, list);
        p.nodes.shift();
        progress = true;
      }
    }
  }
  const stuck = pending.find((p) => p.nodes.length > 0);
  if (stuck !== undefined) {
    throw new EngineError(
      "invalid-config",
      cannot("read", "a functional model config", `the inputs of layer "${stuck.layer.name}" are never computed`),
    );
  }
  const ins = readRefList(config.input_layers, "input_layers");
  const outs = readRefList(config.output_layers, "output_layers");
  const resolve = (r: TensorRef): KerasTensor => {
    const t = tensorOf(r);
    if (t === undefined)
      throw new EngineError(
        "invalid-config",
        cannot("read", "a functional model config", `tensor ${JSON.stringify(r)} does not exist`),
      );
    return t;
  };
  const inputs = ins.refs.map(resolve);
  const outputs = outs.refs.map(resolve);
  return new cls({
    name: typeof config.name === "string" ? config.name : undefined,
    trainable: typeof config.trainable === "boolean" ? config.trainable : undefined,
    inputs: ins.isList ? inputs : inputs[0]!,
    outputs: outs.isList ? outputs : outputs[0]!,
  });
}
