import { type JsonObject, type JsonValue, isJsonObject } from "@kerastore/core";
import type { Registry } from "@kerastore/registry";
import type { Dialect } from "./keras-json.js";

/** The Keras 3 module a nested Keras 2 envelope gets, by the config key it sits under. */
function moduleForKey(key: string, className: string, registry: Registry | undefined): string | null {
  const entry = registry?.lookup(className);
  if (entry !== undefined) return entry.module;
  if (className.includes(">")) return null;
  if (key.endsWith("initializer")) return "keras.initializers";
  if (key.endsWith("regularizer")) return "keras.regularizers";
  if (key.endsWith("constraint")) return "keras.constraints";
  if (key === "layer" || key === "forward_layer" || key === "backward_layer" || key === "cell") return "keras.layers";
  if (key === "dtype") return "keras";
  return null;
}

/**
 * Converts one layer config between dialects, for writing a config read in one dialect in the
 * other. Keras 3 to 2: nested envelopes lose `module` / `registered_name` (custom classes keep
 * their `package>Name` as `class_name`), function references become names, a `DTypePolicy`
 * becomes its dtype string (`Policy` envelope for mixed policies), `batch_shape` becomes
 * `batch_input_shape`; a wrapped layer keeps its `module` (Keras 3 needs it to read the file). Keras 2 to 3: the reverse, with modules taken from `registry` or from
 * the key the object sits under (`*_initializer` to `keras.initializers`, ...).
 */
export function convertLayerConfig(
  config: JsonObject,
  className: string,
  to: Dialect,
  registry: Registry | undefined,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (to === "keras2") {
      if (key === "batch_shape") out["batch_input_shape"] = value;
      else if (key === "dtype") out[key] = policyToKeras2(value);
      else if (NESTED_LAYER_KEYS.has(key)) out[key] = withModule(value, toKeras2(value));
      else if (key === "cells" && Array.isArray(value))
        out[key] = value.map((cell) => withModule(cell, toKeras2(cell)));
      else out[key] = toKeras2(value);
    } else if (key === "batch_input_shape" && className === "InputLayer") {
      out["batch_shape"] = value;
    } else if (key === "dtype" && typeof value === "string" && className !== "InputLayer") {
      out[key] = { module: "keras", class_name: "DTypePolicy", config: { name: value }, registered_name: null };
    } else {
      out[key] = toKeras3(value, key, registry);
    }
  }
  return out;
}

/**
 * A wrapped layer (Bidirectional's, TimeDistributed's, an RNN's cell) keeps its Keras 3 `module`
 * in the Keras 2 dialect: Keras 3's legacy loader cannot locate the class without it, and
 * tf.keras 2 reads past the key.
 */
function withModule(original: JsonValue, converted: JsonValue): JsonValue {
  if (!isJsonObject(original) || !isJsonObject(converted) || typeof original["module"] !== "string") return converted;
  return { module: original["module"], ...converted };
}

function policyToKeras2(value: JsonValue): JsonValue {
  if (isJsonObject(value) && value["class_name"] === "DTypePolicy" && isJsonObject(value["config"])) {
    const name = value["config"]["name"];
    if (typeof name === "string") return name.startsWith("mixed_") ? { class_name: "Policy", config: { name } } : name;
  }
  return toKeras2(value);
}

function toKeras2(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(toKeras2);
  if (!isJsonObject(value)) return value;
  if (typeof value["class_name"] === "string" && "config" in value && "module" in value) {
    if (value["class_name"] === "function" && typeof value["config"] === "string") return value["config"];
    const registered = value["registered_name"];
    const className = typeof registered === "string" && registered.includes(">") ? registered : value["class_name"];
    const inner = value["config"];
    return {
      class_name: className,
      config: isJsonObject(inner)
        ? convertLayerConfig(inner, value["class_name"], "keras2", undefined)
        : toKeras2(inner ?? null),
    };
  }
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = toKeras2(item);
  return out;
}

function toKeras3(value: JsonValue, key: string, registry: Registry | undefined): JsonValue {
  if (Array.isArray(value)) return value.map((item) => toKeras3(item, key, registry));
  if (!isJsonObject(value)) return value;
  const className = value["class_name"];
  if (typeof className === "string" && "config" in value && !("module" in value) && !className.startsWith("__")) {
    const custom = className.includes(">");
    const inner = value["config"];
    return {
      module: moduleForKey(key, className, registry),
      class_name: custom ? className.slice(className.indexOf(">") + 1) : className,
      config: isJsonObject(inner) ? convertLayerConfig(inner, className, "keras3", registry) : (inner ?? null),
      registered_name: custom ? className : null,
    };
  }
  const out: JsonObject = {};
  for (const [k, item] of Object.entries(value))
    if (k !== "__passive_serialization__") out[k] = toKeras3(item, k, registry);
  return out;
}

/**
 * Keys Keras 2 layers wrote that Keras 3's constructors reject ("Unrecognized keyword
 * arguments"), by class (`*`: every class but InputLayer). Keras 3 has no spelling for them;
 * dropping them is what Keras 3 would have written for the same model: `batch_input_shape` /
 * `batch_shape` live on an InputLayer (the model writer moves a Sequential's first one there),
 * `time_major` is gone (inputs are batch-major, as Keras 2's default), and DepthwiseConv2D's
 * `groups` was Conv2D's, which Keras 2's DepthwiseConv2D inherited and ignored.
 */
const KERAS2_ONLY_KEYS: Readonly<Record<string, readonly string[]>> = {
  "*": ["batch_input_shape", "batch_shape"],
  SimpleRNN: ["time_major"],
  LSTM: ["time_major"],
  GRU: ["time_major"],
  RNN: ["time_major"],
  CuDNNLSTM: ["time_major"],
  CuDNNGRU: ["time_major"],
  DepthwiseConv2D: ["groups"],
  DepthwiseConv1D: ["groups"],
};

/** Wrapper keys whose value is a layer envelope, converted with its parent. */
const NESTED_LAYER_KEYS = new Set(["layer", "forward_layer", "backward_layer", "cell"]);

/**
 * A layer config in the form Keras 3's `from_config` accepts: `convertLayerConfig`'s output
 * (or a config read as Keras 3) without the Keras 2 keys Keras 3 rejects, in nested
 * layers too (Bidirectional, TimeDistributed, RNN cells). A config Keras 3 wrote comes back as it was.
 */
export function keras3LayerConfig(config: JsonObject, className: string): JsonObject {
  const drop = new Set(
    className === "InputLayer" ? [] : [...(KERAS2_ONLY_KEYS["*"] ?? []), ...(KERAS2_ONLY_KEYS[className] ?? [])],
  );
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (drop.has(key)) continue;
    out[key] = NESTED_LAYER_KEYS.has(key)
      ? keras3Nested(value)
      : key === "cells" && Array.isArray(value)
        ? value.map(keras3Nested)
        : value;
  }
  return out;
}

function keras3Nested(value: JsonValue): JsonValue {
  if (!isJsonObject(value) || typeof value["class_name"] !== "string" || !isJsonObject(value["config"])) return value;
  return { ...value, config: keras3LayerConfig(value["config"], value["class_name"]) };
}
