import { type JsonObject, type JsonValue, isJsonObject } from "@kerastore/core";

/**
 * A Keras 3 object envelope, as `serialize_keras_object` writes it.
 *
 * Built-ins carry their public module (`keras.layers`) and `registered_name: null`; custom classes
 * carry `module: null` (or their Python module) and `registered_name: "package>Name"`.
 */
export interface Keras3Envelope {
  module: string | null;
  class_name: string;
  config: JsonValue;
  registered_name: string | null;
  build_config?: JsonObject;
  compile_config?: JsonObject;
}

/**
 * A Keras 3 function reference: `{"module": "builtins", "class_name": "function",
 * "config": "relu", "registered_name": "function"}`; `config` is the registered name.
 */
export interface Keras3FunctionEnvelope {
  module: string | null;
  class_name: "function";
  config: string;
  registered_name: string | null;
}

/**
 * A Keras 2 (tf.keras) object envelope: `{"class_name": "Dense", "config": {...}}`.
 *
 * A registered custom class has `class_name` `package>Name`. Objects serialized while nested in
 * another object's config carry `__passive_serialization__: true`; shared objects carry
 * `shared_object_id` inside `config`.
 */
export interface Keras2Envelope {
  class_name: string;
  config: JsonValue;
  __passive_serialization__?: boolean;
}

/** Either dialect's envelope. */
export type KerasEnvelope = Keras3Envelope | Keras2Envelope;

/** Which Keras writes the JSON: `keras3` (Keras 3.x) or `keras2` (tf.keras 2.x and Keras 2.0-2.3). */
export type Dialect = "keras3" | "keras2";

/** The Keras 2 tuple encoding of `json_utils`: `{"class_name": "__tuple__", "items": [...]}`. */
export interface Keras2Tuple {
  class_name: "__tuple__";
  items: JsonValue[];
}

/** The Keras 3 encoding of a symbolic tensor inside `inbound_nodes`. */
export interface KerasTensorJson {
  class_name: "__keras_tensor__";
  config: { shape: JsonValue; dtype: JsonValue; keras_history: [string, number, number] };
}

/** True when `value` looks like an envelope: an object with a string `class_name` and a `config` key. */
export function isEnvelope(value: unknown): value is KerasEnvelope {
  return isJsonObject(value) && typeof value["class_name"] === "string" && "config" in value;
}

/** True for a Keras 3 envelope (it has a `module` key). */
export function isKeras3Envelope(value: unknown): value is Keras3Envelope {
  return isEnvelope(value) && "module" in value;
}
