import { type JsonObject, type JsonValue, cannot, isJsonObject, stringifyPythonJson } from "@kerastore/core";
import { ConfigError } from "./errors.js";
import type { Registry } from "@kerastore/registry";
import { writeKeras2Node, writeKeras3Node, writeTensorStructure } from "./call-nodes.js";
import { convertLayerConfig, keras3LayerConfig } from "./dialect-convert.js";
import type { Dialect } from "./keras-json.js";
import type { EnvelopeFields, LayerEntry, ModelConfig, ModelJson } from "./model-config.js";

/** Options of the model config writers. */
export interface WriteModelOptions {
  /** The dialect to write. Defaults to the dialect the model was read in (`model.dialect`). */
  readonly dialect?: Dialect;
  /** Used to find Keras 3 modules when writing a config read as Keras 2 in the Keras 3 dialect. */
  readonly registry?: Registry;
}

/**
 * Writes a model JSON object: `{class_name, config, keras_version, backend}` in the Keras 2
 * dialect, plus `module`, `registered_name`, `build_config`, `compile_config` in the Keras 3 one.
 *
 * Written in the dialect it was read in, a config comes back as it was (after key order);
 * written in the other dialect, it is converted (see `KNOWN_DIFFERENCES.md` for what cannot be).
 */
export function writeModelJson(json: ModelJson, options: WriteModelOptions = {}): JsonObject {
  const out = writeModelConfig(json.model, options);
  if (json.kerasVersion !== undefined) out["keras_version"] = json.kerasVersion;
  if (json.backend !== undefined) out["backend"] = json.backend;
  return out;
}

/** Model JSON text as Keras writes it (`json.dumps` style): what `model.to_json()` returns. */
export function toJson(json: ModelJson, options: WriteModelOptions = {}): string {
  return stringifyPythonJson(writeModelJson(json, options));
}

/** Writes one model envelope `{class_name, config, ...}` (no `keras_version` / `backend`). */
export function writeModelConfig(model: ModelConfig, options: WriteModelOptions = {}): JsonObject {
  const target = options.dialect ?? model.dialect;
  return writeModel(model, target, options.registry);
}

function writeModel(model: ModelConfig, target: Dialect, registry: Registry | undefined): JsonObject {
  const same = model.dialect === target;
  const nodeForm = same ? (model.nodeForm ?? target) : target;
  let layers = model.layers.map((layer) => writeLayer(layer, model, target, nodeForm, registry));
  if (target === "keras3" && model.kind === "sequential") layers = withInputLayer(model, layers);
  let config: JsonValue;
  if (model.listShaped === true && same && target === "keras2") {
    config = layers;
  } else {
    const body: JsonObject = same ? { ...model.config } : convertModelConfig(model, target);
    body["layers"] = layers;
    if (model.kind === "functional") {
      if (model.inputs !== undefined) body["input_layers"] = writeTensorStructure(model.inputs);
      if (model.outputs !== undefined) body["output_layers"] = writeTensorStructure(model.outputs);
    }
    config = body;
  }
  const fields: EnvelopeFields = same || target === "keras2" ? model : { ...model, ...keras3ModelFields(model) };
  return envelope(fields, config, target, same);
}

function writeLayer(
  layer: LayerEntry,
  parent: ModelConfig,
  target: Dialect,
  nodeForm: Dialect,
  registry: Registry | undefined,
): JsonObject {
  let out: JsonObject;
  if (layer.model !== undefined) {
    out = writeModel(layer.model, target, registry);
  } else {
    const same = parent.dialect === target;
    if (target === "keras2" && !same) refuseOperation(layer);
    const converted = same ? layer.config : convertLayerConfig(layer.config, layer.className, target, registry);
    const config = target === "keras3" ? keras3LayerConfig(converted, layer.className) : converted;
    const fields: EnvelopeFields =
      same || target === "keras2" ? layer : { ...layer, ...keras3LayerFields(layer, registry) };
    out = envelope(fields, config, target, same);
  }
  if (parent.kind === "functional") {
    out["name"] = layer.name;
    const what = `layer "${layer.name}"`;
    out["inbound_nodes"] = (layer.nodes ?? []).map((node, i) =>
      nodeForm === "keras3" ? writeKeras3Node(node) : writeKeras2Node(node, what, `inbound_nodes[${i}]`),
    );
  }
  return out;
}

// Keras 3 records `x + 3.0` on a tensor as a node of an operation (module keras.src.ops.*):
// tf.keras 2 had no such node (its TFOpLambda names a TensorFlow function), so no Keras 2 form.
function refuseOperation(layer: LayerEntry): void {
  const module = layer.module;
  if (typeof module !== "string" || !/^keras(\.src)?\.ops(\.|$)/.test(module)) return;
  throw new ConfigError(
    "not-serializable",
    cannot(
      "write",
      `layer "${layer.name}"`,
      `it is the Keras 3 operation ${module}.${layer.className}, which the Keras 2 dialect has no form for`,
      'save as .keras, or as .h5 with the "keras3" dialect',
    ),
  );
}

/** An envelope in key order; in the dialect read, exactly the fields that were read. */
function envelope(fields: EnvelopeFields, config: JsonValue, target: Dialect, same: boolean): JsonObject {
  const out: JsonObject = {};
  if (target === "keras2" && !same) {
    const registered = fields.registeredName;
    out["class_name"] = typeof registered === "string" && registered.includes(">") ? registered : fields.className;
    out["config"] = config;
    return out;
  }
  if (fields.module !== undefined) out["module"] = fields.module;
  out["class_name"] = fields.className;
  out["config"] = config;
  if (fields.registeredName !== undefined) out["registered_name"] = fields.registeredName;
  if (fields.buildConfig !== undefined) out["build_config"] = fields.buildConfig;
  if (fields.compileConfig !== undefined) out["compile_config"] = fields.compileConfig;
  return out;
}

function keras3ModelFields(model: ModelConfig): Partial<EnvelopeFields> {
  if (model.kind === "sequential") return { className: "Sequential", module: "keras", registeredName: null };
  return { className: "Functional", module: "keras.src.models.functional", registeredName: "Functional" };
}

function keras3LayerFields(layer: LayerEntry, registry: Registry | undefined): Partial<EnvelopeFields> {
  const custom = layer.className.includes(">");
  const className = custom ? layer.className.slice(layer.className.indexOf(">") + 1) : layer.className;
  const entry = registry?.lookup(layer.className, { kind: "layer" });
  if (custom) return { className, module: entry?.module ?? null, registeredName: layer.className };
  return { className, module: entry?.module ?? "keras.layers", registeredName: entry?.registeredName ?? null };
}

function convertModelConfig(model: ModelConfig, target: Dialect): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(model.config)) {
    if (target === "keras2" && key === "dtype") continue; // Keras 2 models wrote no dtype of their own.
    out[key] = value;
  }
  return out;
}

/**
 * Keras 3 Sequential models start with an InputLayer; Keras 2 put `batch_input_shape` on the
 * first layer instead. Moves it into an InputLayer named `<first layer>_input`, as Keras 2 named it.
 */
function withInputLayer(model: ModelConfig, layers: JsonObject[]): JsonObject[] {
  const first = layers[0];
  const firstLayer = model.layers[0];
  if (
    first === undefined ||
    firstLayer === undefined ||
    firstLayer.className === "InputLayer" ||
    firstLayer.model !== undefined
  )
    return layers;
  // The written config has lost the shape already (keras3LayerConfig): read it where it was.
  const shape = firstLayer.config["batch_input_shape"] ?? firstLayer.config["batch_shape"];
  if (shape === undefined) return layers;
  const input: JsonObject = {
    module: "keras.layers",
    class_name: "InputLayer",
    config: {
      batch_shape: shape,
      dtype: dtypeName(firstLayer.config["dtype"]),
      sparse: false,
      ragged: false,
      name: `${firstLayer.name}_input`,
    },
    registered_name: null,
  };
  return [input, ...layers];
}

/** A layer's dtype as a name: Keras 2's string, or the name in Keras 3's DTypePolicy envelope. */
function dtypeName(dtype: JsonValue | undefined): string {
  if (typeof dtype === "string") return dtype;
  if (isJsonObject(dtype) && isJsonObject(dtype["config"]) && typeof dtype["config"]["name"] === "string") {
    const name = dtype["config"]["name"];
    return name.startsWith("mixed_") ? "float32" : name;
  }
  return "float32";
}
