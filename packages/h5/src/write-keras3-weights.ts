import { type SavedModelData, type SavedNode, cannot } from "@kerastore/core";
import { H5Error } from "./errors.js";
import type { H5WriteFile } from "./h5-write-file.js";
import { type H5WriteBackend, buildWith, nativeChunks } from "./write-backend.js";

/** Options of `writeKeras3WeightsH5`. */
export interface WriteKeras3WeightsOptions {
  /** The file name errors show. Default `"<model.weights.h5>"`. */
  readonly name?: string;
  /** The HDF5 writer: `native` (default) or `h5wasm` (for comparison; no float16/bfloat16/bool). */
  readonly backend?: H5WriteBackend;
}

const DEFAULTS = Object.freeze({ name: "<model.weights.h5>", backend: "native" } as const);

/** Keras's `to_snake_case`: `Conv2D` → `conv2d`, `BatchNormalization` → `batch_normalization`. */
export function toSnakeCase(className: string): string {
  return className
    .replace(/\W+/g, "")
    .replace(/(.)([A-Z][a-z]+)/g, "$1_$2")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

const MODEL_CLASSES = new Set(["Sequential", "Functional", "Model"]);

function isModel(node: SavedNode): boolean {
  return MODEL_CLASSES.has(node.className) || Array.isArray(node.config?.layers);
}

/** The key a node gets inside a container: its class in snake case, made unique there. */
function containerKey(node: SavedNode, used: Map<string, number>): string {
  const kept = node.extras?.keras3Key;
  if (typeof kept === "string") return kept;
  const base = toSnakeCase(node.className);
  const n = used.get(base);
  used.set(base, n === undefined ? 0 : n + 1);
  return n === undefined ? base : `${base}_${n + 1}`;
}

/**
 * The key of a layer's sublayer: the attribute the file was read under (a reader names the
 * edge by the sublayer's name, `lstm_cell`, and keeps the file's `cell`), else the edge's name.
 */
function attributeKey(edge: { readonly name: string; readonly node: SavedNode }): string {
  const kept = edge.node.extras?.keras3Key;
  return typeof kept === "string" ? kept : edge.name;
}

/**
 * Every `vars` group a Keras 3 weights file holds for this tree: walk path → node.
 * A model's layers go under `layers/<key>`, its optimizer under `optimizer`, other children
 * under their edge name (`cell`, `forward_layer`).
 */
export function keras3WalkPaths(root: SavedNode): Map<string, SavedNode> {
  const out = new Map<string, SavedNode>();
  const seen = new Set<SavedNode>();
  const visit = (node: SavedNode, path: string, depth: number): void => {
    if (seen.has(node)) return;
    if (depth > 64) throw new H5Error("invalid-tree", cannot("write", path, "the tree nests deeper than 64"));
    seen.add(node);
    out.set(path, node);
    const used = new Map<string, number>();
    const model = isModel(node) || depth === 0;
    for (const edge of node.children) {
      const at = path === "" ? "" : `${path}/`;
      if (edge.name === "optimizer" && model) visit(edge.node, `${at}optimizer`, depth + 1);
      else if (model) visit(edge.node, `${at}layers/${containerKey(edge.node, used)}`, depth + 1);
      else visit(edge.node, `${at}${attributeKey(edge)}`, depth + 1);
    }
  };
  visit(root, "", 0);
  return out;
}

/** Writes a saved tree as a Keras 3 `.weights.h5` and returns the bytes. */
export async function writeKeras3WeightsH5(data: SavedModelData, options: WriteKeras3WeightsOptions = {}): Promise<Uint8Array> {
  const { name, backend } = { ...DEFAULTS, ...options };
  let bytes = 0;
  for (const node of keras3WalkPaths(data.root).values()) {
    for (const v of node.variables) bytes += v.value.dtype === "string" ? 0 : v.value.data.byteLength;
  }
  return buildWith(backend, name, keras3Body(data), Math.ceil(bytes * 1.01) + (1 << 20));
}

/**
 * Writes a saved tree as a Keras 3 `.weights.h5` with the native writer, as chunks for
 * `Store.write` (weight bytes are views of the tensors, not copies).
 */
export function keras3WeightsH5Chunks(data: SavedModelData, options: Omit<WriteKeras3WeightsOptions, "backend"> = {}): Uint8Array[] {
  const { name } = { ...DEFAULTS, ...options };
  return nativeChunks(name, keras3Body(data));
}

function keras3Body(data: SavedModelData): (file: H5WriteFile) => void {
  const paths = keras3WalkPaths(data.root);
  return (file) => {
    const groups = new Set<string>(["/"]);
    const ensure = (path: string): void => {
      let at = "";
      for (const part of path.split("/").filter((p) => p !== "")) {
        at = `${at}/${part}`;
        if (!groups.has(at)) {
          file.group(at);
          groups.add(at);
        }
      }
    };
    for (const [path, node] of paths) {
      const vars = path === "" ? "/vars" : `/${path}/vars`;
      ensure(vars);
      if (node.name !== undefined) file.scalarString(vars, "name", node.name, "utf8");
      for (const [i, v] of node.variables.entries()) file.dataset(`${vars}/${i}`, v.value);
    }
  };
}
