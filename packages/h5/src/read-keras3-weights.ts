import { type HostTensor, type SavedNode, cannot } from "@kerastore/core";
import { readText } from "./chunked-attr.js";
import { H5Error, placeOf } from "./errors.js";
import type { H5ReadFile } from "./h5-read-file.js";

/** One `<path>/vars` group of a Keras 3 weights file. */
export interface Keras3VarsEntry {
  /** The walk path without `/vars` (`layers/dense`, `optimizer`; `""` for the root). */
  readonly path: string;
  /** The `vars` group's `name` attribute (Keras ≥ 3.6), the object's Keras name. */
  readonly name: string | undefined;
  /** Datasets `0`, `1`, ... in order. */
  readonly values: readonly HostTensor[];
}

const MAX_DEPTH = 64;
const MAX_OBJECTS = 1_000_000;

/** True when the root holds a `vars`, `layers` or `optimizer` group (Keras 3 layout). */
export function isKeras3Layout(file: H5ReadFile): boolean {
  return ["/vars", "/layers", "/optimizer", "/_layer_checkpoint_dependencies"].some((p) => file.kind(p) === "group");
}

/** One `<path>/vars` group of one shard of sharded weights: only some indices may be present. */
export interface Keras3PartialEntry {
  readonly path: string;
  readonly name: string | undefined;
  readonly values: ReadonlyMap<number, HostTensor>;
}

/**
 * Every `vars` group of one shard of a sharded Keras 3 weights file (`*_00000.weights.h5`):
 * a shard holds any subset of a group's datasets, named by their index in the whole group.
 */
export function readKeras3PartialEntries(file: H5ReadFile): Keras3PartialEntry[] {
  const out: Keras3PartialEntry[] = [];
  let objects = 0;
  const visit = (path: string, depth: number): void => {
    if (depth > MAX_DEPTH) {
      const place = placeOf(file.name, path);
      throw new H5Error("corrupt", cannot("read", place, `groups nest deeper than ${MAX_DEPTH}`), { path: place });
    }
    for (const key of file.keys(path)) {
      if (++objects > MAX_OBJECTS) throw new H5Error("corrupt", cannot("read", file.name, "too many objects"));
      const child = path === "/" ? `/${key}` : `${path}/${key}`;
      if (file.kind(child) !== "group") continue;
      if (key !== "vars") {
        visit(child, depth + 1);
        continue;
      }
      const values = new Map<number, HostTensor>();
      for (const index of file.keys(child)) {
        const at = `${child}/${index}`;
        if (!/^(0|[1-9]\d{0,6})$/.test(index) || file.kind(at) !== "dataset") {
          const place = placeOf(file.name, at);
          throw new H5Error("corrupt", cannot("read", place, "expected a dataset named by its index (0, 1, ...)"), {
            path: place,
          });
        }
        values.set(Number(index), file.dataset(at));
      }
      out.push({ path: path === "/" ? "" : path.slice(1), name: readText(file, child, "name"), values });
    }
  };
  visit("/", 0);
  return out;
}

/** Every `vars` group of a Keras 3 `.weights.h5`, depth first in name order, each whole. */
export function readKeras3Entries(file: H5ReadFile): Keras3VarsEntry[] {
  return readKeras3PartialEntries(file).map((entry) => wholeEntry(entry, file.name));
}

/** A group's variables as a list, once every index 0..n-1 is there. */
export function wholeEntry(entry: Keras3PartialEntry, fileName: string): Keras3VarsEntry {
  const values: HostTensor[] = [];
  for (let i = 0; i < entry.values.size; i++) {
    const value = entry.values.get(i);
    if (value === undefined) {
      const place = placeOf(fileName, entry.path === "" ? "/vars" : `/${entry.path}/vars`);
      throw new H5Error(
        "corrupt",
        cannot("read", place, `expected datasets 0..${entry.values.size - 1}, ${i} is missing`),
        { path: place },
      );
    }
    values.push(value);
  }
  return { path: entry.path, name: entry.name, values };
}

/**
 * The saved object tree of a Keras 3 weights file.
 *
 * Walk paths become edges: `layers/<key>` edges are named by the layer's `name` attribute
 * (else the key), other path parts by themselves (`optimizer`, `cell`). Class names are not in
 * the file: nodes are `Layer` (`Optimizer` under `optimizer`), with the walk key kept in
 * `extras.keras3Key` so a writer gives the same paths back. Variables are named by index.
 */
export function keras3EntriesToTree(entries: readonly Keras3VarsEntry[]): SavedNode {
  const nodes = new Map<string, SavedNode>();
  const root: SavedNode = { className: "Model", variables: [], children: [] };
  nodes.set("", root);
  const nodeAt = (path: string): SavedNode => {
    const known = nodes.get(path);
    if (known) return known;
    const parts = path.split("/");
    const key = parts[parts.length - 1]!;
    const container = parts[parts.length - 2];
    const inLayers = container === "layers" || container === "_layer_checkpoint_dependencies";
    const parentPath = parts.slice(0, inLayers ? -2 : -1).join("/");
    const parent = nodeAt(parentPath);
    // Only models hold a layers container.
    if (inLayers && parent.className === "Layer") parent.className = "Model";
    const node: SavedNode = {
      className: key === "optimizer" && !inLayers ? "Optimizer" : "Layer",
      variables: [],
      children: [],
      extras: { keras3Key: key },
    };
    parent.children.push({ name: key, node });
    nodes.set(path, node);
    return node;
  };
  for (const entry of entries) {
    if (entry.path.split("/").includes("vars")) continue;
    const node = nodeAt(entry.path);
    node.name = entry.name;
    node.variables = entry.values.map((value, i) => ({
      name: String(i),
      path: entry.name === undefined ? `${entry.path}/${i}` : `${entry.name}/${i}`,
      trainable: true,
      value,
    }));
  }
  // Edges into a layers container carry the layer's name, as the tree conventions ask.
  for (const node of nodes.values()) {
    for (const edge of node.children) {
      if (edge.node.className === "Layer" && edge.node.name !== undefined) edge.name = edge.node.name;
    }
  }
  return root;
}
