import type { SavedNode } from "@kerastore/core";

/**
 * The edge name of each of a node's variables, parallel to `node.variables`.
 *
 * Usually the variable's `name`; a variable shared by several objects under different names
 * (Keras 3 files a kernel under `_kernel` and `optimizer/_trainable_variables/0`) keeps its
 * per-owner names in the owner's `extras.variableNames`.
 */
export function variableEdgeNames(node: SavedNode): string[] {
  const names = node.extras?.["variableNames"];
  return node.variables.map((v, i) => (Array.isArray(names) && typeof names[i] === "string" ? names[i] : v.name));
}
