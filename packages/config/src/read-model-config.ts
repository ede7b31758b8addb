import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { readCallNode, readTensorStructure } from "./call-nodes.js";
import { typeName } from "./deserialize.js";
import { ConfigError } from "./errors.js";
import { assertJsonTree, parseJsonText } from "./json-guard.js";
import type { Dialect } from "./keras-json.js";
import type { CallNode, EnvelopeFields, LayerEntry, ModelConfig, ModelJson } from "./model-config.js";

/** Options of the model config readers. */
export interface ReadModelOptions {
  /** What the JSON is, for messages: a file name, `model_config of model.h5`. Defaults to `model config`. */
  readonly source?: string;
}

/** Keys of a model config that the normalized form holds apart from `config`. */
const structuralKeys = new Set(["layers", "input_layers", "output_layers"]);

/** Class names that are models (a layer entry of one of these with `layers` is read as a nested model). */
const modelClassNames = new Set(["Sequential", "Functional", "Model"]);

/**
 * Reads model JSON of either dialect, as `model.to_json()` writes it or the H5 `model_config`
 * attribute holds it: `{class_name, config[, module, registered_name, build_config,
 * compile_config][, keras_version, backend]}`.
 *
 * Sequential configs (also Keras 2.0's bare list of layers) and Functional configs (nodes as
 * Keras 2 lists or Keras 3 `{args, kwargs}`) are read into `ModelConfig`. Layer configs are kept as
 * written. Throws `ConfigError` naming the source and the place on anything malformed.
 */
export function readModelJson(json: unknown, options: ReadModelOptions = {}): ModelJson {
  const what = options.source ?? "model config";
  assertJsonTree(json, what);
  if (!isJsonObject(json))
    throw invalid(what, "", `expected an object with "class_name" and "config", got ${typeName(json)}`);
  const out: ModelJson = { model: readModel(json, what, "") };
  const version = json["keras_version"];
  if (typeof version === "string") out.kerasVersion = version;
  const backend = json["backend"];
  if (typeof backend === "string") out.backend = backend;
  return out;
}

/** Parses JSON text and reads it with `readModelJson`. */
export function modelFromJsonText(text: string, options: ReadModelOptions = {}): ModelJson {
  const what = options.source ?? "model config";
  return readModelJson(parseJsonText(text, what), options);
}

/** Reads one model envelope `{class_name, config, ...}` (top level or nested as a layer). */
function readModel(json: JsonObject, what: string, path: string): ModelConfig {
  const fields = readEnvelope(json, what, path);
  const dialect: Dialect = "module" in json ? "keras3" : "keras2";
  const config = json["config"];
  const configPath = join(path, "config");
  if (Array.isArray(config)) {
    // Keras 2.0 / 2.1 Sequential: the config is the list of layers itself.
    return {
      ...fields,
      kind: "sequential",
      dialect,
      config: {},
      layers: config.map((layer, i) => readLayer(layer, false, what, `${configPath}[${i}]`, new Set())),
      listShaped: true,
    };
  }
  if (!isJsonObject(config)) throw invalid(what, configPath, `expected a model config object, got ${typeName(config)}`);
  const layersJson = config["layers"];
  if (!Array.isArray(layersJson)) {
    throw invalid(what, join(configPath, "layers"), `expected a list of layers, got ${typeName(layersJson)}`);
  }
  const functional =
    "input_layers" in config ||
    "output_layers" in config ||
    layersJson.some((layer) => isJsonObject(layer) && "inbound_nodes" in layer);
  const rest: JsonObject = {};
  for (const [key, value] of Object.entries(config)) if (!structuralKeys.has(key)) rest[key] = value;
  const forms = new Set<Dialect>();
  const model: ModelConfig = {
    ...fields,
    kind: functional ? "functional" : "sequential",
    dialect,
    config: rest,
    layers: layersJson.map((layer, i) =>
      readLayer(layer, functional, what, `${join(configPath, "layers")}[${i}]`, forms),
    ),
  };
  if (functional) {
    const inputs = config["input_layers"];
    const outputs = config["output_layers"];
    if (inputs === undefined || outputs === undefined) {
      throw invalid(what, configPath, 'a Functional config needs "input_layers" and "output_layers"');
    }
    model.inputs = readTensorStructure(inputs, what, join(configPath, "input_layers"));
    model.outputs = readTensorStructure(outputs, what, join(configPath, "output_layers"));
    if (forms.size === 1) model.nodeForm = [...forms][0]!;
  }
  return model;
}

/** Reads one layer entry; adds the forms its nodes were written in to `forms`. */
function readLayer(json: JsonValue, functional: boolean, what: string, path: string, forms: Set<Dialect>): LayerEntry {
  if (!isJsonObject(json)) throw invalid(what, path, `expected a layer object, got ${typeName(json)}`);
  const fields = readEnvelope(json, what, path);
  const config = json["config"];
  const configPath = join(path, "config");
  const isModel =
    (Array.isArray(config) && fields.className === "Sequential") ||
    (isJsonObject(config) &&
      Array.isArray(config["layers"]) &&
      (modelClassNames.has(fields.className) || "input_layers" in config));
  let entry: LayerEntry;
  if (isModel) {
    const model = readModel(json, what, path);
    entry = { ...fields, name: "", config: model.config, model };
  } else {
    if (!isJsonObject(config))
      throw invalid(what, configPath, `expected a layer config object, got ${typeName(config)}`);
    entry = { ...fields, name: "", config };
  }
  const name = json["name"] ?? entry.config["name"];
  if (typeof name !== "string") {
    throw invalid(what, path, `expected the layer's "name" to be a string, got ${typeName(name)}`);
  }
  entry.name = name;
  if (functional) {
    const inbound = json["inbound_nodes"] ?? [];
    if (!Array.isArray(inbound)) {
      throw invalid(what, join(path, "inbound_nodes"), `expected a list of nodes, got ${typeName(inbound)}`);
    }
    entry.nodes = inbound.map((node, i): CallNode => {
      const read = readCallNode(node, what, `${join(path, "inbound_nodes")}[${i}]`);
      forms.add(read.form);
      return read.node;
    });
  }
  return entry;
}

function readEnvelope(json: JsonObject, what: string, path: string): EnvelopeFields {
  const className = json["class_name"];
  if (typeof className !== "string" || className.length === 0) {
    throw invalid(what, join(path, "class_name"), `expected a class name string, got ${typeName(className)}`);
  }
  const fields: EnvelopeFields = { className };
  if ("module" in json) fields.module = stringOrNull(json["module"], what, join(path, "module"));
  if ("registered_name" in json) {
    fields.registeredName = stringOrNull(json["registered_name"], what, join(path, "registered_name"));
  }
  const build = json["build_config"];
  if (build !== undefined) {
    if (!isJsonObject(build))
      throw invalid(what, join(path, "build_config"), `expected an object, got ${typeName(build)}`);
    fields.buildConfig = build;
  }
  const compile = json["compile_config"];
  if (compile !== undefined) {
    if (!isJsonObject(compile))
      throw invalid(what, join(path, "compile_config"), `expected an object, got ${typeName(compile)}`);
    fields.compileConfig = compile;
  }
  return fields;
}

function stringOrNull(value: JsonValue | undefined, what: string, path: string): string | null {
  if (value === null || typeof value === "string") return value;
  throw invalid(what, path, `expected a string or null, got ${typeName(value)}`);
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function invalid(what: string, path: string, reason: string): ConfigError {
  return new ConfigError("invalid-config", cannot("read", what, path === "" ? reason : `${path}: ${reason}`), { path });
}
