import {
  type HostTensor,
  type JsonObject,
  type JsonValue,
  type SavedModelData,
  type SavedNode,
  type SavedVariable,
  type Store,
  cannot,
  dirnameOf,
  hostTensor,
  isJsonObject,
  joinPath,
  utf8Decode,
  viewAs,
} from "@kerastore/core";
import { parseJsonText } from "@kerastore/config";
import { TfjsFormatError } from "./errors.js";
import { type QuantizationEntry, dequantize, quantizedItemSize } from "./quantize.js";
import { TFJS_MODEL_CLASSES } from "./tfjs-support.js";

/** The most bytes of model.json read: topologies are small, a bigger file is not one. */
export const MAX_MODEL_JSON_BYTES = 256 * 1024 * 1024;

/** Where a location's model.json is: the path itself when it names a file, else `<dir>/model.json`. */
export async function modelJsonPath(store: Store, path: string): Promise<string> {
  if ((await store.exists(path)) && (await store.isDirectory(path))) return joinPath(path, "model.json");
  return path;
}

/**
 * Reads a TensorFlow.js Layers model (model.json and the shards its manifest names) into the
 * saved object tree, in the `layer-list` layout: one edge per layer of the model (Functional
 * models with their InputLayers, Sequential ones without), each with its whole weight list in
 * Keras order. Quantized weights come back as float32 by the converter's formula. The config is
 * the Keras 2 dialect tfjs-layers reads and writes, and tfjs-layers computes Keras 2's
 * activations (`hard_sigmoid` = clip(0.2x + 0.5, 0, 1)), so the tree says Keras 2.
 */
export async function readTfjsLayers(store: Store, path: string): Promise<SavedModelData> {
  const jsonPath = await modelJsonPath(store, path);
  const size = await store.size(jsonPath);
  if (size > MAX_MODEL_JSON_BYTES)
    throw bad(jsonPath, `model.json is ${size} bytes, more than any topology (limit ${MAX_MODEL_JSON_BYTES})`);
  const json = parseJsonText(utf8Decode(await store.read(jsonPath)), jsonPath);
  if (!isJsonObject(json)) throw bad(jsonPath, "expected a JSON object");
  if (json["format"] === "graph-model")
    throw bad(
      jsonPath,
      "it is a TensorFlow.js graph model (a lowered graph), not a layers model; only layers models hold a Keras architecture",
    );
  const topology = json["modelTopology"];
  if (!isJsonObject(topology)) throw bad(jsonPath, 'expected "modelTopology" holding the Keras model config');
  const written = isJsonObject(topology["model_config"]) ? topology["model_config"] : topology;
  // tfjs-layers counts a nested model's own construction as its node 0 (Kerastore's writer does
  // as tfjs-layers reads); Keras does not. tf.keras configs (tensorflowjs_converter's) are Keras's.
  const tfjsNodes =
    String(topology["keras_version"] ?? "").startsWith("tfjs") ||
    String(json["convertedBy"] ?? "").startsWith("Kerastore");
  const modelConfig = tfjsNodes ? kerasNodeIndices(written) : written;
  if (typeof modelConfig["class_name"] !== "string")
    throw bad(jsonPath, 'expected "modelTopology" with a model config ({"class_name", "config"})');
  const weights = await readWeights(store, dirnameOf(jsonPath), json["weightsManifest"], jsonPath);
  const root = layerTree(modelConfig, weights, jsonPath);
  const unclaimed = [...weights.keys()].filter((name) => !weights.get(name)!.claimed);
  if (unclaimed.length > 0)
    throw bad(jsonPath, `weights ${unclaimed.slice(0, 5).join(", ")} name no layer of the model`);
  const recorded = typeof topology["keras_version"] === "string" ? topology["keras_version"] : undefined;
  const trainingConfig = isJsonObject(topology["training_config"]) ? topology["training_config"] : undefined;
  return {
    root,
    modelConfig,
    kerasVersion: recorded !== undefined && /^2\./.test(recorded) ? recorded : "2.15.0",
    backend: typeof topology["backend"] === "string" ? topology["backend"] : "tensorflow",
    ...(trainingConfig !== undefined ? { trainingConfig } : {}),
  };
}

interface ReadWeight {
  readonly value: HostTensor;
  claimed: boolean;
}

async function readWeights(
  store: Store,
  dir: string,
  manifest: JsonValue | undefined,
  where: string,
): Promise<Map<string, ReadWeight>> {
  const out = new Map<string, ReadWeight>();
  if (manifest === undefined || manifest === null) return out;
  if (!Array.isArray(manifest)) throw bad(where, '"weightsManifest" must be a list of groups');
  for (const [g, group] of manifest.entries()) {
    if (!isJsonObject(group) || !Array.isArray(group["paths"]) || !Array.isArray(group["weights"])) {
      throw bad(where, `weightsManifest[${g}] must have "paths" and "weights" lists`);
    }
    const specs = group["weights"].map((w, i) => weightSpec(w, `weightsManifest[${g}].weights[${i}]`, where));
    const expected = specs.reduce((n, s) => n + s.bytes, 0);
    const paths = group["paths"].map((p, i) => shardPath(dir, p, `weightsManifest[${g}].paths[${i}]`, where));
    let total = 0;
    const sizes: number[] = [];
    for (const p of paths) {
      if (!(await store.exists(p)))
        throw new TfjsFormatError("bad-weights", cannot("read", where, `the weight shard ${p} is missing`), {
          path: p,
        });
      const s = await store.size(p);
      sizes.push(s);
      total += s;
    }
    // Sizes are checked against the files before anything is allocated.
    if (total !== expected) {
      throw new TfjsFormatError(
        "bad-weights",
        cannot(
          "read",
          where,
          `weights group ${g + 1} declares ${expected} bytes of weights but its ${paths.length} shard file(s) hold ${total}`,
        ),
        { path: where },
      );
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const [i, p] of paths.entries()) {
      bytes.set(await store.read(p), offset);
      offset += sizes[i]!;
    }
    offset = 0;
    for (const spec of specs) {
      if (out.has(spec.name)) throw bad(where, `the weight ${spec.name} is listed twice`);
      out.set(spec.name, { value: decode(bytes.subarray(offset, offset + spec.bytes), spec), claimed: false });
      offset += spec.bytes;
    }
  }
  return out;
}

interface WeightSpec {
  readonly name: string;
  readonly shape: number[];
  readonly dtype: "float32" | "int32" | "bool";
  readonly count: number;
  readonly bytes: number;
  readonly quantization: QuantizationEntry | undefined;
}

function weightSpec(value: JsonValue, place: string, where: string): WeightSpec {
  if (!isJsonObject(value) || typeof value["name"] !== "string" || !Array.isArray(value["shape"]))
    throw bad(where, `${place} must have a "name" and a "shape"`);
  const shape = value["shape"];
  if (!shape.every((d): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0))
    throw bad(where, `${place} (${value["name"]}) has a bad shape ${JSON.stringify(shape)}`);
  const count = shape.reduce((n, d) => n * d, 1);
  const dtype = value["dtype"];
  if (dtype !== "float32" && dtype !== "int32" && dtype !== "bool") {
    throw bad(
      where,
      `${place} (${value["name"]}) is ${JSON.stringify(dtype)}; Keras weights are float32, int32 or bool`,
    );
  }
  const q = value["quantization"];
  let quantization: QuantizationEntry | undefined;
  if (q !== undefined && q !== null) {
    if (!isJsonObject(q) || (q["dtype"] !== "float16" && q["dtype"] !== "uint8" && q["dtype"] !== "uint16")) {
      throw bad(where, `${place} (${value["name"]}) has an unknown quantization ${JSON.stringify(q)}`);
    }
    if (q["dtype"] !== "float16" && (typeof q["scale"] !== "number" || typeof q["min"] !== "number")) {
      throw bad(where, `${place} (${value["name"]}) is ${q["dtype"]}-quantized without numeric "min" and "scale"`);
    }
    quantization = q as unknown as QuantizationEntry;
  }
  const item = quantization !== undefined ? quantizedItemSize(quantization.dtype) : dtype === "bool" ? 1 : 4;
  const bytes = count * item;
  if (!Number.isSafeInteger(bytes)) throw bad(where, `${place} (${value["name"]}) has an impossible size`);
  return { name: value["name"], shape, dtype, count, bytes, quantization };
}

function decode(bytes: Uint8Array, spec: WeightSpec): HostTensor {
  if (spec.quantization !== undefined) {
    const values = dequantize(bytes, spec.quantization, spec.count);
    if (spec.dtype === "int32") return hostTensor("int32", spec.shape, Int32Array.from(values, Math.round));
    return hostTensor("float32", spec.shape, values);
  }
  const copy = bytes.slice();
  if (spec.dtype === "bool") return hostTensor("bool", spec.shape, copy);
  return hostTensor(spec.dtype, spec.shape, viewAs(spec.dtype, copy));
}

function shardPath(dir: string, value: JsonValue, place: string, where: string): string {
  if (
    typeof value !== "string" ||
    value === "" ||
    value.startsWith("/") ||
    value.includes("\\") ||
    value.split("/").some((p) => p === "..") ||
    /^[a-z]+:/i.test(value)
  ) {
    throw bad(where, `${place} must be a shard file name beside model.json, got ${JSON.stringify(value)}`);
  }
  return joinPath(dir, value);
}

/** The model node: one edge per layer, each layer holding the weights whose names are its. */
function layerTree(envelope: JsonObject, weights: Map<string, ReadWeight>, where: string): SavedNode {
  const className = envelope["class_name"] as string;
  const raw = envelope["config"];
  const layers = Array.isArray(raw) ? raw : isJsonObject(raw) && Array.isArray(raw["layers"]) ? raw["layers"] : [];
  const sequential = className === "Sequential";
  const node: SavedNode = {
    className,
    name: isJsonObject(raw) && typeof raw["name"] === "string" ? raw["name"] : undefined,
    config: isJsonObject(raw) ? raw : { layers: raw ?? null },
    variables: [],
    children: [],
  };
  for (const layer of layers) {
    if (!isJsonObject(layer) || typeof layer["class_name"] !== "string")
      throw bad(where, "a layer of the model config has no class_name");
    if (sequential && layer["class_name"] === "InputLayer") continue;
    const child = layerNode(layer, weights, where);
    node.children.push({ name: child.name ?? child.className, node: child });
  }
  return node;
}

function layerNode(envelope: JsonObject, weights: Map<string, ReadWeight>, where: string): SavedNode {
  const className = envelope["class_name"] as string;
  if (TFJS_MODEL_CLASSES.has(className)) return layerTree(envelope, weights, where);
  const config = isJsonObject(envelope["config"]) ? envelope["config"] : {};
  const name = typeof config["name"] === "string" ? config["name"] : className;
  const mine: SavedVariable[] = [];
  for (const [key, w] of weights) {
    if (w.claimed || !key.startsWith(`${name}/`)) continue;
    w.claimed = true;
    const short = key.slice(key.lastIndexOf("/") + 1);
    mine.push({ name: short, path: key, trainable: !NON_TRAINABLE.test(short), value: w.value });
  }
  // Keras order: trainable first (tfjs-layers saves every layer's trainable weights before any non-trainable one).
  const variables = [...mine.filter((v) => v.trainable), ...mine.filter((v) => !v.trainable)];
  return { className, name, config, variables, children: [] };
}

const NON_TRAINABLE = /^moving_(mean|variance)$/;

function bad(where: string, reason: string): TfjsFormatError {
  return new TfjsFormatError("bad-model-json", cannot("read", where, reason), { path: where });
}

/** Nested models' call nodes counted as Keras counts them (one less than tfjs-layers), at every depth. */
function kerasNodeIndices(envelope: JsonObject): JsonObject {
  const raw = envelope["config"];
  if (!TFJS_MODEL_CLASSES.has(String(envelope["class_name"])) || !isJsonObject(raw) || !Array.isArray(raw["layers"]))
    return envelope;
  const layers = raw["layers"].map((l) => (isJsonObject(l) ? kerasNodeIndices(l) : l));
  const nested = new Set<string>();
  for (const layer of layers) {
    if (isJsonObject(layer) && TFJS_MODEL_CLASSES.has(String(layer["class_name"])) && typeof layer["name"] === "string")
      nested.add(layer["name"]);
  }
  const unshift = (ref: JsonValue): JsonValue =>
    Array.isArray(ref) && typeof ref[0] === "string" && typeof ref[1] === "number" && ref[1] > 0 && nested.has(ref[0])
      ? [ref[0], ref[1] - 1, ...ref.slice(2)]
      : ref;
  const config: JsonObject = {
    ...raw,
    layers: layers.map((layer) =>
      isJsonObject(layer) && Array.isArray(layer["inbound_nodes"])
        ? {
            ...layer,
            inbound_nodes: layer["inbound_nodes"].map((node) => (Array.isArray(node) ? node.map(unshift) : node)),
          }
        : layer,
    ),
  };
  if (Array.isArray(raw["output_layers"])) config["output_layers"] = raw["output_layers"].map(unshift);
  return { ...envelope, config };
}
