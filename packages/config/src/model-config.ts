import type { JsonObject, JsonValue } from "@kerastore/core";
import type { Dialect } from "./keras-json.js";

/**
 * A reference to one output tensor of one call of a layer: Keras's `keras_history`
 * `[layer_name, node_index, tensor_index]`.
 */
export interface TensorRef {
  readonly kind: "tensor";
  /** The name of the layer that made the tensor. */
  readonly layer: string;
  /** Which call (node) of that layer, counting only calls that belong to this model. */
  readonly node: number;
  /** Which output of that call. */
  readonly tensor: number;
  /** Keras 3 `__keras_tensor__` shape, when the JSON carried one. */
  readonly shape?: JsonValue;
  /** Keras 3 `__keras_tensor__` dtype, when the JSON carried one. */
  readonly dtype?: JsonValue;
}

/** A Keras 2 `["_CONSTANT_VALUE", -1, value, kwargs]` input: a constant in place of a tensor. */
export interface ConstantInput {
  readonly kind: "constant";
  readonly value: JsonValue;
}

/** A call argument: JSON data with tensor references where tensors were passed. */
export type NodeValue =
  | TensorRef
  | ConstantInput
  | null
  | boolean
  | number
  | string
  | NodeValue[]
  | { [key: string]: NodeValue };

/**
 * One call of a layer inside a Functional model (a Keras "node").
 *
 * `args` are the positional arguments (the first one holds the input tensors: one reference,
 * or a list for merge layers), `kwargs` the keyword arguments (`training`, `mask`,
 * `initial_state`, ...). Both dialects read into this one form.
 */
export interface CallNode {
  args: NodeValue[];
  kwargs: { [key: string]: NodeValue };
}

/** The model's inputs or outputs: one reference, a list, or a dict of them (nested as in Keras). */
export type TensorStructure = TensorRef | TensorStructure[] | { [key: string]: TensorStructure };

/** The parts of a Keras envelope around a config. */
export interface EnvelopeFields {
  /** Keras `class_name` (`Dense`, `Sequential`, `Functional`, `Model`, `MyLayer`). */
  className: string;
  /** Keras 3 `module`; absent when the JSON had none (Keras 2). */
  module?: string | null;
  /** Keras 3 `registered_name`; absent when the JSON had none (Keras 2). */
  registeredName?: string | null;
  /** Keras 3 `build_config`. */
  buildConfig?: JsonObject;
  /** Keras 3 `compile_config`. */
  compileConfig?: JsonObject;
}

/**
 * One layer of a model: its envelope, its Keras config, and (in a Functional model) its calls.
 *
 * `config` is the layer's Keras config as written (snake_case keys). When the layer is itself a
 * model (a nested Sequential or Functional), `model` holds it read the same way, and writers
 * write the nested config from `model`.
 */
export interface LayerEntry extends EnvelopeFields {
  /** The layer's name (the `name` beside `inbound_nodes`, else `config.name`). */
  name: string;
  /** The Keras config. */
  config: JsonObject;
  /** The calls of this layer in a Functional model; `undefined` in a Sequential model. */
  nodes?: CallNode[];
  /** When the layer is a model: the nested model. */
  model?: ModelConfig;
}

/**
 * A model config, read from either dialect into one form the engine can build a graph from
 * (and that it can produce from a live graph).
 */
export interface ModelConfig extends EnvelopeFields {
  /** `sequential`: layers applied in order; `functional`: a graph of call nodes. */
  kind: "sequential" | "functional";
  /** The dialect it was read from (or is meant for). */
  dialect: Dialect;
  /**
   * The model's config keys other than `layers`, `input_layers`, `output_layers` (`name`,
   * `trainable`, `dtype`, `build_input_shape`, ...), as written.
   */
  config: JsonObject;
  /** The layers in Keras order. */
  layers: LayerEntry[];
  /** Functional: `input_layers`. */
  inputs?: TensorStructure;
  /** Functional: `output_layers`. */
  outputs?: TensorStructure;
  /**
   * The form the nodes were read in, when all agree. tf.keras 2.13-2.15 `.keras` files pair
   * Keras 3 envelopes with Keras 2 node lists, and Keras 3's legacy `.h5` the reverse; writing in
   * the dialect read keeps each file's own mix.
   */
  nodeForm?: Dialect;
  /** Keras 2.0/2.1 wrote a Sequential config as a bare list of layers; kept to write it back so. */
  listShaped?: boolean;
}

/** A whole model JSON: `model.to_json()` or the H5 `model_config` attribute. */
export interface ModelJson {
  model: ModelConfig;
  /** Top-level `keras_version`, when present. */
  kerasVersion?: string;
  /** Top-level `backend`, when present. */
  backend?: string;
}

/** True for a `TensorRef`. */
export function isTensorRef(value: unknown): value is TensorRef {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "tensor" &&
    typeof (value as { layer?: unknown }).layer === "string"
  );
}

/** A tensor reference. */
export function tensorRef(layer: string, node: number, tensor: number): TensorRef {
  return { kind: "tensor", layer, node, tensor };
}

/** Every tensor reference in a value, depth first: a call's inputs are `tensorRefsIn(node.args[0])`. */
export function tensorRefsIn(value: NodeValue | TensorStructure | undefined): TensorRef[] {
  const out: TensorRef[] = [];
  const visit = (v: unknown): void => {
    if (isTensorRef(v)) out.push(v);
    else if (Array.isArray(v)) for (const item of v) visit(item);
    else if (typeof v === "object" && v !== null) for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return out;
}

/**
 * The batch shape a layer config declares: Keras 3 `batch_shape` or Keras 2
 * `batch_input_shape` (either may be `__tuple__`-free lists); `undefined` when neither is there.
 */
export function batchShapeOf(config: JsonObject): Array<number | null> | undefined {
  const shape = config["batch_shape"] ?? config["batch_input_shape"];
  if (!Array.isArray(shape)) return undefined;
  if (!shape.every((d) => d === null || typeof d === "number")) return undefined;
  return shape as Array<number | null>;
}

/**
 * The dtype policy name a layer config declares: a plain string (`"float32"`, Keras 2), a Keras 3
 * `DTypePolicy` envelope (`config.name`), or a Keras 2 `Policy` envelope; `undefined` otherwise.
 */
export function dtypePolicyOf(config: JsonObject): string | undefined {
  const dtype = config["dtype"];
  if (typeof dtype === "string") return dtype;
  if (typeof dtype === "object" && dtype !== null && !Array.isArray(dtype)) {
    const inner = dtype["config"];
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner) && typeof inner["name"] === "string") {
      return inner["name"];
    }
  }
  return undefined;
}
