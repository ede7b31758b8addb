import { type SavedModelData, type SavedNode, type SavedVariable, cannot, stringifyPythonJson } from "@kerastore/core";
import { writeNameList } from "./chunked-attr.js";
import { H5Error } from "./errors.js";
import type { H5WriteFile } from "./h5-write-file.js";
import { type H5WriteBackend, buildWith, nativeChunks } from "./write-backend.js";

/** Options of `writeLegacyH5`. */
export interface WriteLegacyH5Options {
  /**
   * `keras2` (default): weight names with TensorFlow's `:0` suffix, as tf.keras 2.x writes and
   * both tf.keras 2.x and Keras 3 read. `keras3`: names as Keras 3's legacy writer gives them.
   */
  readonly dialect?: "keras2" | "keras3";
  /** Write a weights-only file (`save_weights("x.h5")`): no config, no optimizer. Default false. */
  readonly weightsOnly?: boolean;
  /** Write `/optimizer_weights` when the tree has an optimizer with variables. Default true. */
  readonly includeOptimizer?: boolean;
  /** The file name errors show. Default `"<model.h5>"`. */
  readonly name?: string;
  /** The HDF5 writer: `native` (default) or `h5wasm` (for comparison; no float16/bfloat16/bool). */
  readonly backend?: H5WriteBackend;
}

const DEFAULTS = Object.freeze({
  dialect: "keras2",
  weightsOnly: false,
  includeOptimizer: true,
  name: "<model.h5>",
  backend: "native",
} as const);

/**
 * A layer's whole weight list as a legacy group stores it: its own variables and its
 * sublayers', depth first, trainable ones before non-trainable ones (Keras's `layer.weights`).
 */
export function legacyWeightsOf(node: SavedNode): SavedVariable[] {
  const all: SavedVariable[] = [];
  const seen = new Set<SavedNode>();
  const visit = (n: SavedNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    all.push(...n.variables);
    for (const edge of n.children) visit(edge.node);
  };
  visit(node);
  return [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)];
}

function storedName(variable: SavedVariable, dialect: "keras2" | "keras3"): string {
  if (dialect === "keras3" || /:\d+$/.test(variable.path)) return variable.path;
  return `${variable.path}:0`;
}

/** Creates the groups a `/`-separated dataset name needs (h5py does this on its own). */
function writeWeight(
  file: H5WriteFile,
  groups: Set<string>,
  group: string,
  name: string,
  variable: SavedVariable,
): void {
  const parts = name.split("/");
  let at = group;
  for (const part of parts.slice(0, -1)) {
    at = `${at}/${part}`;
    if (!groups.has(at)) {
      file.group(at);
      groups.add(at);
    }
  }
  file.dataset(`${group}/${name}`, variable.value);
}

function writeLayerGroup(
  file: H5WriteFile,
  groups: Set<string>,
  path: string,
  variables: readonly SavedVariable[],
  dialect: "keras2" | "keras3",
): void {
  file.group(path);
  groups.add(path);
  const names = variables.map((v) => storedName(v, dialect));
  const unique = new Set(names);
  if (unique.size !== names.length) {
    throw new H5Error("invalid-tree", cannot("write", path, "two weights have the same name"), { path });
  }
  writeNameList(file, path, "weight_names", names);
  for (const [i, v] of variables.entries()) writeWeight(file, groups, path, names[i]!, v);
}

function writeWeightsGroup(file: H5WriteFile, group: string, data: SavedModelData, dialect: "keras2" | "keras3"): void {
  const groups = new Set<string>([group]);
  const prefix = group === "/" ? "" : group;
  const layers = data.root.children.filter((e) => e.name !== "optimizer");
  const names = layers.map((e) => e.node.name ?? e.name);
  if (new Set(names).size !== names.length) {
    throw new H5Error("invalid-tree", cannot("write", "the model's layers", "two layers have the same name"));
  }
  writeNameList(file, group, "layer_names", names);
  file.scalarString(group, "backend", data.backend ?? "tensorflow", "ascii");
  file.scalarString(group, "keras_version", data.kerasVersion ?? defaultVersion(dialect), "ascii");
  // Keras sorts the groups by name when creating them; HDF5 indexes them by name anyway.
  const order = layers.map((_e, i) => i).sort((a, b) => (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0));
  for (const i of order)
    writeLayerGroup(file, groups, `${prefix}/${names[i]}`, legacyWeightsOf(layers[i]!.node), dialect);
  writeLayerGroup(file, groups, `${prefix}/top_level_model_weights`, data.root.variables, dialect);
}

/** Weight bytes plus room for metadata: what the finished file will roughly take. */
function sizeHintOf(root: SavedNode): number {
  let bytes = 0;
  for (const v of legacyWeightsOf(root)) bytes += v.value.dtype === "string" ? 0 : v.value.data.byteLength;
  return Math.ceil(bytes * 1.01) + (1 << 20);
}

function defaultVersion(dialect: "keras2" | "keras3"): string {
  return dialect === "keras2" ? "2.15.0" : "3.15.1";
}

/**
 * Writes a saved tree as a legacy Keras `.h5` and returns the bytes, laid out and typed as
 * tf.keras / Keras 3 write it with h5py 3 (formats.md §1).
 */
export async function writeLegacyH5(data: SavedModelData, options: WriteLegacyH5Options = {}): Promise<Uint8Array> {
  const { backend, name } = { ...DEFAULTS, ...options };
  return buildWith(backend, name, legacyBody(data, options), sizeHintOf(data.root));
}

/**
 * Writes a saved tree as a legacy Keras `.h5` with the native writer and returns the file as
 * chunks for `Store.write`: one metadata block, then each weight's bytes as a view of its
 * tensor (nothing copied), so a large model never exists as one buffer.
 */
export function legacyH5Chunks(
  data: SavedModelData,
  options: Omit<WriteLegacyH5Options, "backend"> = {},
): Uint8Array[] {
  const { name } = { ...DEFAULTS, ...options };
  return nativeChunks(name, legacyBody(data, options));
}

function legacyBody(data: SavedModelData, options: WriteLegacyH5Options): (file: H5WriteFile) => void {
  const { dialect, weightsOnly, includeOptimizer, name } = { ...DEFAULTS, ...options };
  if (!weightsOnly && data.modelConfig === undefined) {
    throw new H5Error(
      "invalid-tree",
      cannot("write", name, "a full-model .h5 needs the model config", "pass modelConfig, or weightsOnly: true"),
      { path: name },
    );
  }
  return (file) => {
    if (weightsOnly) {
      writeWeightsGroup(file, "/", data, dialect);
      return;
    }
    file.scalarString("/", "keras_version", data.kerasVersion ?? defaultVersion(dialect), "utf8");
    file.scalarString("/", "backend", data.backend ?? "tensorflow", "utf8");
    file.scalarString("/", "model_config", stringifyPythonJson(data.modelConfig!), "ascii");
    if (data.trainingConfig !== undefined) {
      file.scalarString("/", "training_config", stringifyPythonJson(data.trainingConfig), "ascii");
    }
    file.group("/model_weights");
    writeWeightsGroup(file, "/model_weights", data, dialect);
    const optimizer = data.root.children.find((e) => e.name === "optimizer")?.node;
    if (includeOptimizer && optimizer !== undefined && optimizer.variables.length > 0) {
      const groups = new Set<string>(["/optimizer_weights"]);
      file.group("/optimizer_weights");
      const names = optimizer.variables.map((v) => storedName(v, dialect));
      writeNameList(file, "/optimizer_weights", "weight_names", names);
      for (const [i, v] of optimizer.variables.entries()) writeWeight(file, groups, "/optimizer_weights", names[i]!, v);
    }
  };
}
