import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { typeName } from "./deserialize.js";
import { ConfigError } from "./errors.js";
import type { Dialect } from "./keras-json.js";
import {
  type CallNode,
  type ConstantInput,
  type NodeValue,
  type TensorStructure,
  isTensorRef,
} from "./model-config.js";

/** Reads one entry of `inbound_nodes` in either form. */
export function readCallNode(json: JsonValue, what: string, path: string): { node: CallNode; form: Dialect } {
  if (Array.isArray(json)) return { node: readKeras2Node(json, what, path), form: "keras2" };
  if (isJsonObject(json) && ("args" in json || "kwargs" in json)) {
    const args = json["args"] ?? [];
    const kwargs = json["kwargs"] ?? {};
    if (!Array.isArray(args)) throw invalid(what, `${path}.args`, `expected a list, got ${typeName(args)}`);
    if (!isJsonObject(kwargs)) throw invalid(what, `${path}.kwargs`, `expected an object, got ${typeName(kwargs)}`);
    return {
      node: { args: args.map((a) => readKeras3Value(a)), kwargs: readKeras3Record(kwargs) },
      form: "keras3",
    };
  }
  throw invalid(what, path, `expected a node as a list (Keras 2) or {args, kwargs} (Keras 3), got ${typeName(json)}`);
}

/**
 * Keras 2: a list over the flattened first argument of `[layer, node, tensor, kwargs?]` entries
 * (`["_CONSTANT_VALUE", -1, value, kwargs]` for constants). One entry is a single input; more
 * are a list of inputs. The kwargs of the first entry are the call's kwargs; inside them a
 * `[layer, node, tensor]` list naming a tensor is read as a reference.
 */
function readKeras2Node(entries: JsonValue[], what: string, path: string): CallNode {
  const inputs: NodeValue[] = [];
  let kwargs: { [key: string]: NodeValue } = {};
  entries.forEach((entry, i) => {
    const at = `${path}[${i}]`;
    if (!Array.isArray(entry) || entry.length < 3 || entry.length > 4) {
      throw invalid(
        what,
        at,
        `expected [layer, node, tensor, kwargs], got ${typeName(entry)}${Array.isArray(entry) ? ` of ${entry.length} items` : ""}`,
      );
    }
    const [layer, node, tensor, kw] = entry;
    if (layer === "_CONSTANT_VALUE") {
      inputs.push({ kind: "constant", value: tensor ?? null });
    } else {
      if (typeof layer !== "string" || !isIndex(node) || !isIndex(tensor)) {
        throw invalid(what, at, "expected a layer name and two non-negative integer indices");
      }
      inputs.push({ kind: "tensor", layer, node, tensor });
    }
    if (kw !== undefined) {
      if (!isJsonObject(kw)) throw invalid(what, `${at}[3]`, `expected kwargs as an object, got ${typeName(kw)}`);
      if (i === 0) kwargs = readKeras2Record(kw);
    }
  });
  const first = inputs.length === 1 ? inputs[0]! : inputs;
  return { args: [first], kwargs };
}

/** True for a Keras 2 `[layer, node, tensor]` reference inside kwargs. */
function isKeras2Triple(value: JsonValue): value is [string, number, number] {
  return (
    Array.isArray(value) && value.length === 3 && typeof value[0] === "string" && isIndex(value[1]) && isIndex(value[2])
  );
}

function readKeras2Record(record: JsonObject): { [key: string]: NodeValue } {
  const out: { [key: string]: NodeValue } = {};
  for (const [key, value] of Object.entries(record)) out[key] = readKeras2Value(value);
  return out;
}

function readKeras2Value(value: JsonValue): NodeValue {
  if (isKeras2Triple(value)) return { kind: "tensor", layer: value[0], node: value[1], tensor: value[2] };
  if (Array.isArray(value)) return value.map(readKeras2Value);
  if (isJsonObject(value)) return readKeras2Record(value);
  return value;
}

function readKeras3Record(record: JsonObject): { [key: string]: NodeValue } {
  const out: { [key: string]: NodeValue } = {};
  for (const [key, value] of Object.entries(record)) out[key] = readKeras3Value(value);
  return out;
}

function readKeras3Value(value: JsonValue): NodeValue {
  if (isJsonObject(value) && value["class_name"] === "__keras_tensor__" && isJsonObject(value["config"])) {
    const config = value["config"];
    const history = config["keras_history"];
    if (isKeras2Triple(history ?? null)) {
      const [layer, node, tensor] = history as [string, number, number];
      return { kind: "tensor", layer, node, tensor, shape: config["shape"] ?? null, dtype: config["dtype"] ?? null };
    }
  }
  if (Array.isArray(value)) return value.map(readKeras3Value);
  if (isJsonObject(value)) return readKeras3Record(value);
  return value;
}

/** Reads `input_layers` / `output_layers`: a triple, or lists / dicts of them. */
export function readTensorStructure(json: JsonValue, what: string, path: string, depth = 0): TensorStructure {
  if (isKeras2Triple(json)) return { kind: "tensor", layer: json[0], node: json[1], tensor: json[2] };
  if (Array.isArray(json)) return json.map((item, i) => readTensorStructure(item, what, `${path}[${i}]`, depth + 1));
  if (isJsonObject(json)) {
    const out: { [key: string]: TensorStructure } = {};
    for (const [key, value] of Object.entries(json))
      out[key] = readTensorStructure(value, what, `${path}.${key}`, depth + 1);
    return out;
  }
  throw invalid(what, path, `expected [layer_name, node_index, tensor_index] triples, got ${typeName(json)}`);
}

/** Writes a call node in the Keras 3 form. */
export function writeKeras3Node(node: CallNode): JsonObject {
  return { args: node.args.map(writeKeras3Value), kwargs: writeRecord(node.kwargs, writeKeras3Value) };
}

function writeKeras3Value(value: NodeValue): JsonValue {
  if (isTensorRef(value)) {
    return {
      class_name: "__keras_tensor__",
      config: {
        shape: value.shape ?? null,
        dtype: value.dtype ?? null,
        keras_history: [value.layer, value.node, value.tensor],
      },
    };
  }
  if (isConstant(value)) return value.value;
  if (Array.isArray(value)) return value.map(writeKeras3Value);
  if (typeof value === "object" && value !== null) return writeRecord(value, writeKeras3Value);
  return value;
}

/**
 * Writes a call node in the Keras 2 form: one `[layer, node, tensor, kwargs]` entry per tensor
 * of the first argument. Keras 2 has no place for further positional arguments: they are
 * refused.
 */
export function writeKeras2Node(node: CallNode, what: string, path: string): JsonValue[] {
  // The built-in layers Keras 3 calls with several positional tensors are the attention layers,
  // `call(query, value, key)`; tf.keras 2 recorded the later ones by name.
  if (node.args.length > 1 && node.args.length <= 3 && node.args.slice(1).every(isTensorRef)) {
    const named: { [key: string]: NodeValue } = { value: node.args[1]! };
    if (node.args[2] !== undefined) named.key = node.args[2];
    return writeKeras2Node({ args: [node.args[0]!], kwargs: { ...node.kwargs, ...named } }, what, path);
  }
  if (node.args.length > 1) {
    throw new ConfigError(
      "not-serializable",
      cannot("write", what, `${path} passes ${node.args.length} positional arguments; the Keras 2 dialect holds one`),
      { path },
    );
  }
  const kwargs = writeRecord(node.kwargs, writeKeras2Value);
  const first = node.args[0];
  const items = Array.isArray(first) ? first : first === undefined ? [] : [first];
  return items.map((item): JsonValue => {
    if (isTensorRef(item)) return [item.layer, item.node, item.tensor, kwargs];
    if (isConstant(item)) return ["_CONSTANT_VALUE", -1, item.value, kwargs];
    return ["_CONSTANT_VALUE", -1, writeKeras2Value(item), kwargs];
  });
}

function writeKeras2Value(value: NodeValue): JsonValue {
  if (isTensorRef(value)) return [value.layer, value.node, value.tensor];
  if (isConstant(value)) return value.value;
  if (Array.isArray(value)) return value.map(writeKeras2Value);
  if (typeof value === "object" && value !== null) return writeRecord(value, writeKeras2Value);
  return value;
}

/** Writes `input_layers` / `output_layers`. */
export function writeTensorStructure(structure: TensorStructure): JsonValue {
  if (isTensorRef(structure)) return [structure.layer, structure.node, structure.tensor];
  if (Array.isArray(structure)) return structure.map(writeTensorStructure);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(structure)) out[key] = writeTensorStructure(value);
  return out;
}

function writeRecord(record: { [key: string]: NodeValue }, write: (v: NodeValue) => JsonValue): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(record)) out[key] = write(value);
  return out;
}

function isConstant(value: unknown): value is ConstantInput {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    (value as { kind?: unknown }).kind === "constant" &&
    "value" in value
  );
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function invalid(what: string, path: string, reason: string): ConfigError {
  return new ConfigError("invalid-config", cannot("read", what, `${path}: ${reason}`), { path });
}
