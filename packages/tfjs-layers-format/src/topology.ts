import { type JsonObject, type JsonValue, isJsonObject } from "@kerastore/core";
import { type ModelConfig, readModelJson, writeModelConfig } from "@kerastore/config";
import {
  ACTIVATION_RENAMES,
  TFJS_ACTIVATIONS,
  TFJS_CELL_CLASSES,
  TFJS_CONSTRAINTS,
  TFJS_INITIALIZERS,
  TFJS_LAYER_CLASSES,
  TFJS_MODEL_CLASSES,
} from "./tfjs-support.js";

/** One thing tfjs-layers 4.22 could not read: which layer, of which class, and why. */
export interface TfjsProblem {
  /** The layer's name, nested layers as `outer/inner`. */
  readonly layer: string;
  readonly className: string;
  readonly reason: string;
}

/** What {@link tfjsModelConfig} makes of a Keras model config. */
export interface TfjsModelConfig {
  /** The model config in the Keras 2 JSON dialect, with tfjs-layers' spellings. */
  readonly modelConfig: JsonObject;
  /** Everything tfjs-layers could not read; the config is unusable unless this is empty. */
  readonly problems: readonly TfjsProblem[];
}

/** Options of {@link tfjsModelConfig}. */
export interface TfjsConfigOptions {
  /**
   * Layers (by top-level name) whose `hard_sigmoid` is Keras 3's `relu6(x + 3) / 6`; tfjs-layers
   * computes Keras 2's `clip(0.2x + 0.5, 0, 1)` for that name, so they cannot be written.
   * `"all"`: every layer (a model the tree says is a Keras 3 one).
   */
  readonly keras3HardSigmoid?: ReadonlySet<string> | "all" | undefined;
  /**
   * The config is Keras 3's even where its envelopes have no `module`: Keras 3's legacy `.h5`
   * writes Keras 2 envelopes around Keras 3 layer configs (`batch_shape`, `DTypePolicy`), which
   * the dialect read from the envelopes alone would pass through unconverted.
   */
  readonly keras3Config?: boolean | undefined;
}

/**
 * Turns a Keras model config (either dialect, as any Kerastore reader or the engine gives it)
 * into the Keras 2 JSON dialect tfjs-layers 4.22 reads, renaming what tfjs-layers spells
 * otherwise (`LecunNormal` -> `LeCunNormal`, `L2` -> `L1L2`, `silu` -> `swish`, LeakyReLU's
 * `negative_slope` -> `alpha`), and lists every layer or setting it cannot read.
 */
export function tfjsModelConfig(envelope: JsonObject, options: TfjsConfigOptions = {}): TfjsModelConfig {
  const read = readModelJson(envelope).model;
  const keras2 = writeModelConfig(options.keras3Config === true ? asKeras3(read) : read, { dialect: "keras2" });
  const problems: TfjsProblem[] = [];
  const ranks = new Map<string, number>();
  inputRanks(envelope, ranks);
  const modelConfig = fixLayer(keras2, "", { problems, hardSigmoid: options.keras3HardSigmoid, ranks });
  return { modelConfig, problems };
}

/** The model, and every model nested in it, marked as read in the Keras 3 dialect. */
function asKeras3(model: ModelConfig): ModelConfig {
  return {
    ...model,
    dialect: "keras3",
    layers: model.layers.map((layer) =>
      layer.model === undefined ? layer : { ...layer, model: asKeras3(layer.model) },
    ),
  };
}

interface Context {
  readonly problems: TfjsProblem[];
  /** Input rank by layer name, from the Keras 3 configs' `build_config`. */
  readonly ranks: ReadonlyMap<string, number>;
  readonly hardSigmoid: ReadonlySet<string> | "all" | undefined;
}

function fixLayer(
  envelope: JsonObject,
  parent: string,
  ctx: Context,
  allowed: ReadonlySet<string> = TFJS_LAYER_CLASSES,
): JsonObject {
  const className = typeof envelope["class_name"] === "string" ? envelope["class_name"] : "?";
  const raw = envelope["config"];
  const name = isJsonObject(raw) && typeof raw["name"] === "string" ? raw["name"] : className;
  const where = parent === "" ? name : `${parent}/${name}`;
  const problem = (reason: string) => ctx.problems.push({ layer: where, className, reason });
  if (TFJS_MODEL_CLASSES.has(className)) {
    // A model's layers are named as themselves (tfjs names nested models' weights by layer).
    const inner = parent === "" ? "" : where;
    const list = Array.isArray(raw) ? raw : isJsonObject(raw) && Array.isArray(raw["layers"]) ? raw["layers"] : [];
    if (className === "Sequential") sequentialInput(list, where, ctx);
    if (Array.isArray(raw)) return { ...envelope, config: { name, layers: raw.map((l) => fixChild(l, inner, ctx)) } };
    if (!isJsonObject(raw)) return envelope;
    const layers = Array.isArray(raw["layers"]) ? raw["layers"].map((l) => fixChild(l, inner, ctx)) : raw["layers"];
    const config: JsonObject = { ...raw, layers: layers ?? null };
    // Keras 3 writes one input or output as a bare [name, node, tensor]; tfjs-layers reads lists of them.
    for (const key of ["input_layers", "output_layers"]) {
      const refs = config[key];
      if (Array.isArray(refs) && typeof refs[0] === "string") config[key] = [refs];
    }
    return { ...envelope, config: shiftNestedModelNodes(config) };
  }
  if (!allowed.has(className)) {
    problem(
      className.includes(">")
        ? "a custom class tfjs-layers does not have (register it in tfjs with tf.serialization.registerClass)"
        : "tfjs-layers 4.22 has no such layer",
    );
    return envelope;
  }
  if (!isJsonObject(raw)) return envelope;
  const config = fixConfig(raw, className, where, ctx, problem);
  if (className === "BatchNormalization") batchNormAxis(config, ctx.ranks.get(name), problem);
  return { ...envelope, config };
}

function fixChild(value: JsonValue, parent: string, ctx: Context): JsonValue {
  return isJsonObject(value) ? fixLayer(value, parent, ctx) : value;
}

function fixConfig(
  raw: JsonObject,
  className: string,
  where: string,
  ctx: Context,
  problem: (r: string) => void,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === "activation" || key === "recurrent_activation")
      out[key] = fixActivation(value, key, where, ctx, problem);
    else if (key.endsWith("_initializer")) out[key] = fixInitializer(value, key, problem);
    else if (key.endsWith("_regularizer")) out[key] = fixRegularizer(value, key, problem);
    else if (key.endsWith("_constraint")) out[key] = fixConstraint(value, key, problem);
    else if (key === "dtype") out[key] = fixDType(value, problem);
    else if (key === "layer" || key === "forward_layer" || key === "backward_layer") {
      out[key] = isJsonObject(value) ? fixLayer(value, where, ctx) : value;
    } else if (key === "cell" && isJsonObject(value)) out[key] = fixLayer(value, where, ctx, TFJS_CELL_CLASSES);
    else if (key === "cells" && Array.isArray(value)) {
      out[key] = value.map((c) => (isJsonObject(c) ? fixLayer(c, where, ctx, TFJS_CELL_CLASSES) : c));
    } else out[key] = value;
  }
  classRules(out, className, problem);
  return out;
}

/** Settings of particular classes tfjs-layers has no equivalent for. */
function classRules(config: JsonObject, className: string, problem: (r: string) => void): void {
  const groups = config["groups"];
  if (typeof groups === "number" && groups !== 1 && className !== "DepthwiseConv2D")
    problem(`groups=${groups}: tfjs-layers has no grouped convolution`);
  if ((className === "GRU" || className === "GRUCell") && config["reset_after"] === true) {
    problem("reset_after=true (Keras 3's and tf.keras 2's default): tfjs-layers 4.22's GRU has only reset_after=false");
  }
  if (className === "LeakyReLU" && "negative_slope" in config) {
    config["alpha"] = config["negative_slope"] ?? 0.3;
    delete config["negative_slope"];
  }
  if (className === "ReLU") {
    const slope = config["negative_slope"];
    const threshold = config["threshold"];
    if ((typeof slope === "number" && slope !== 0) || (typeof threshold === "number" && threshold !== 0)) {
      problem("negative_slope / threshold: tfjs-layers' ReLU has only max_value");
    }
  }
  if (className === "LayerNormalization" && config["rms_scaling"] === true)
    problem("rms_scaling=true: tfjs-layers' LayerNormalization has no RMS scaling");
  if (
    (className === "UpSampling2D" || className === "Resizing") &&
    typeof config["interpolation"] === "string" &&
    config["interpolation"] !== "nearest"
  ) {
    problem(
      `interpolation=${config["interpolation"]}: tfjs-layers resizes without Keras's half-pixel centers, so it computes other values`,
    );
  }
  const activity = config["activity_regularizer"];
  if (activity !== undefined && activity !== null)
    problem("activity_regularizer: tfjs-layers 4.22 cannot run a layer with an activity regularizer");
  if (className.startsWith("Global") && config["keepdims"] === true)
    problem("keepdims=true: tfjs-layers' global pooling always drops the pooled axes");
  if (className === "Dense" || className === "Embedding") {
    const rank = config["lora_rank"];
    if (typeof rank === "number" && rank > 0) problem(`lora_rank=${rank}: tfjs-layers has no LoRA weights`);
  }
}

function fixActivation(
  value: JsonValue,
  key: string,
  where: string,
  ctx: Context,
  problem: (r: string) => void,
): JsonValue {
  if (value === null) return value;
  if (typeof value !== "string") {
    problem(`${key}: a function object tfjs-layers cannot rebuild (${JSON.stringify(value).slice(0, 80)})`);
    return value;
  }
  const name = ACTIVATION_RENAMES[value] ?? value;
  if (!TFJS_ACTIVATIONS.has(name)) problem(`${key}=${value}: tfjs-layers 4.22 has no such activation`);
  if (name === "hard_sigmoid" && (ctx.hardSigmoid === "all" || ctx.hardSigmoid?.has(where.split("/")[0]!) === true)) {
    problem(
      `${key}=hard_sigmoid is Keras 3's relu6(x + 3) / 6 here, but tfjs-layers computes Keras 2's clip(0.2x + 0.5, 0, 1)`,
    );
  }
  return name;
}

function fixInitializer(value: JsonValue, key: string, problem: (r: string) => void): JsonValue {
  if (!isJsonObject(value)) return value;
  const cls = value["class_name"];
  const mapped = typeof cls === "string" ? TFJS_INITIALIZERS[cls] : undefined;
  if (mapped === undefined) {
    problem(`${key}: tfjs-layers 4.22 has no initializer ${String(cls)}`);
    return value;
  }
  return { ...value, class_name: mapped };
}

function fixRegularizer(value: JsonValue, key: string, problem: (r: string) => void): JsonValue {
  if (!isJsonObject(value)) return value;
  const cls = value["class_name"];
  const config = isJsonObject(value["config"]) ? value["config"] : {};
  const num = (k: string) => (typeof config[k] === "number" ? config[k] : 0);
  if (cls === "L1L2") return { class_name: "L1L2", config: { l1: num("l1"), l2: num("l2") } };
  if (cls === "L1") return { class_name: "L1L2", config: { l1: num("l1"), l2: 0 } };
  if (cls === "L2") return { class_name: "L1L2", config: { l1: 0, l2: num("l2") } };
  problem(`${key}: tfjs-layers 4.22 has no regularizer ${String(cls)}`);
  return value;
}

function fixConstraint(value: JsonValue, key: string, problem: (r: string) => void): JsonValue {
  if (!isJsonObject(value)) return value;
  const cls = value["class_name"];
  if (typeof cls !== "string" || !TFJS_CONSTRAINTS.has(cls))
    problem(`${key}: tfjs-layers 4.22 has no constraint ${String(cls)}`);
  return value;
}

function fixDType(raw: JsonValue, problem: (r: string) => void): JsonValue {
  // Keras 3 configs (a Keras 3 legacy .h5, read as written) give a policy: its name is the dtype.
  const policy =
    isJsonObject(raw) && raw["class_name"] === "DTypePolicy" && isJsonObject(raw["config"])
      ? raw["config"]["name"]
      : undefined;
  const value = typeof policy === "string" ? policy : raw;
  if (value === null || value === "float32" || value === "int32" || value === "bool" || value === "string")
    return value;
  if (value === "int64" || value === "uint8" || value === "int16" || value === "int8" || value === "uint16")
    return "int32";
  if (value === "float64") return "float32";
  problem(`dtype ${JSON.stringify(value)}: tfjs-layers computes in float32 and int32 only`);
  return value;
}

/**
 * A nested model's own construction is node 0 of it in tfjs-layers, so its first call is node 1
 * (Keras skips that node when it reads a config; tfjs-layers does not): references to a nested
 * model's outputs, in `inbound_nodes` and `output_layers`, count one more.
 */
function shiftNestedModelNodes(config: JsonObject): JsonObject {
  const layers = Array.isArray(config["layers"]) ? config["layers"] : [];
  const nested = new Set<string>();
  for (const layer of layers) {
    if (isJsonObject(layer) && TFJS_MODEL_CLASSES.has(String(layer["class_name"])) && typeof layer["name"] === "string")
      nested.add(layer["name"]);
  }
  if (nested.size === 0) return config;
  const shift = (ref: JsonValue): JsonValue => {
    if (!Array.isArray(ref) || typeof ref[0] !== "string" || typeof ref[1] !== "number" || !nested.has(ref[0]))
      return ref;
    return [ref[0], ref[1] + 1, ...ref.slice(2)];
  };
  const out: JsonObject = { ...config };
  out["layers"] = layers.map((layer) => {
    if (!isJsonObject(layer) || !Array.isArray(layer["inbound_nodes"])) return layer;
    const nodes = layer["inbound_nodes"].map((node) => (Array.isArray(node) ? node.map(shift) : node));
    return { ...layer, inbound_nodes: nodes };
  });
  if (Array.isArray(config["output_layers"])) out["output_layers"] = config["output_layers"].map(shift);
  return out;
}

/**
 * tfjs-layers 4.22's BatchNormalization computes wrong values at inference when its axis is not
 * the last one (its broadcasting path; checked against the formula in this package's tests):
 * only last-axis normalization can be written.
 */
function batchNormAxis(config: JsonObject, rank: number | undefined, problem: (r: string) => void): void {
  const raw = config["axis"];
  const axis = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (axis === -1) return;
  if (typeof axis !== "number") {
    problem(`axis=${JSON.stringify(raw)}: tfjs-layers normalizes over one axis`);
  } else if (rank === undefined) {
    problem(
      `axis=${axis} and the input rank is unknown: tfjs-layers 4.22 computes wrong values unless the axis is the last`,
    );
  } else if (axis !== rank - 1) {
    problem(`axis=${axis} is not the last axis: tfjs-layers 4.22 computes wrong values for it (its broadcasting path)`);
  } else {
    config["axis"] = -1;
  }
}

/** Collects each layer's input rank from `build_config.input_shape` (Keras 3 configs), nested layers too. */
function inputRanks(value: JsonValue, out: Map<string, number>): void {
  if (Array.isArray(value)) {
    for (const item of value) inputRanks(item, out);
    return;
  }
  if (!isJsonObject(value)) return;
  const build = value["build_config"];
  const config = value["config"];
  if (
    isJsonObject(build) &&
    Array.isArray(build["input_shape"]) &&
    isJsonObject(config) &&
    typeof config["name"] === "string"
  ) {
    const shape = build["input_shape"];
    if (shape.every((d) => d === null || typeof d === "number")) out.set(config["name"], shape.length);
  }
  for (const item of Object.values(value)) inputRanks(item, out);
}

/** tfjs-layers builds a Sequential from its first layer's input shape: a model never built has none. */
function sequentialInput(layers: readonly JsonValue[], where: string, ctx: Context): void {
  const first = layers[0];
  if (!isJsonObject(first)) return;
  const config = isJsonObject(first["config"]) ? first["config"] : {};
  if (
    first["class_name"] === "InputLayer" ||
    Array.isArray(config["batch_input_shape"]) ||
    Array.isArray(config["batch_shape"])
  )
    return;
  const name = typeof config["name"] === "string" ? config["name"] : String(first["class_name"]);
  ctx.problems.push({
    layer: where === "" ? name : `${where}/${name}`,
    className: String(first["class_name"]),
    reason:
      "the Sequential model was never built, so its input shape is unknown and tfjs-layers cannot build it; build the model (model.build(shape)) first",
  });
}
