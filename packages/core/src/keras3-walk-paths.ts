import { CoreError, cannot } from "./errors.js";
import type { SavedNode } from "./saved-tree.js";
import { toSnakeCase } from "./snake-case.js";

const MODEL_CLASSES: ReadonlySet<string> = new Set(["Sequential", "Functional", "Model"]);
const MAX_DEPTH = 64;

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
 * Every Keras 3 walk path of a saved tree (the `vars` groups a `.weights.h5` file holds, the
 * keys the weight matcher pairs by): walk path → node. A model's layers go under
 * `layers/<snake_case class>` (made unique), its optimizer under `optimizer`, other children
 * under their edge name (`cell`, `forward_layer`). Throws `CoreError` `too-deep` past 64 levels.
 */
export function keras3WalkPaths(root: SavedNode): Map<string, SavedNode> {
  const out = new Map<string, SavedNode>();
  const seen = new Set<SavedNode>();
  const visit = (node: SavedNode, path: string, depth: number): void => {
    if (seen.has(node)) return;
    if (depth > MAX_DEPTH)
      throw new CoreError("too-deep", cannot("walk", path, `the tree nests deeper than ${MAX_DEPTH}`), { path });
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
