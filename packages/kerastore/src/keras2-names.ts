import type { SavedNode } from "@kerastore/core";
import type { Model } from "@kerastore/engine";

/**
 * tf.keras 2's name (without `:0`) of each model variable, by its Keras 3 path.
 *
 * Keras 3 paths are unique by construction (`sequential/lstm_1/lstm_cell/kernel`); tf.keras 2
 * names were not scoped by the model and made each sublayer's name unique instead: the second
 * LSTM's cell is `lstm_cell_1` (`lstm_1/lstm_cell_1/kernel`), as `backend.unique_object_name`
 * numbered objects of the same base name in creation order. The model's own name is dropped
 * (`dense/kernel`), and sublayers are numbered in layer order, as a fresh tf.keras 2 session
 * that loads the model creates them.
 */
export function keras2WeightNames(model: Model): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Map<string, number>();
  const scopes = new Map<string, string>();
  const unique = (scope: string, base: string): string => {
    const known = scopes.get(scope);
    if (known !== undefined) return known;
    const count = used.get(base) ?? 0;
    used.set(base, count + 1);
    const name = count === 0 ? base : `${base}_${count}`;
    scopes.set(scope, name);
    return name;
  };
  for (const layer of model.layers) {
    for (const v of layer.weights) {
      if (out.has(v.path)) continue;
      let parts = v.path.split("/");
      if (parts.length > 2 && parts[0] === model.name) parts = parts.slice(1);
      const named = parts.map((part, i) =>
        i === 0 || i === parts.length - 1 ? part : unique(parts.slice(0, i + 1).join("/"), part),
      );
      out.set(v.path, named.join("/"));
    }
  }
  const taken = new Set<string>();
  for (const [path, name] of out) {
    // A layer literally named like a numbered sublayer could still collide: keep its Keras 3 path.
    if (taken.has(name)) out.set(path, path);
    taken.add(out.get(path)!);
  }
  return out;
}

/** A copy of a saved tree whose variables carry the given names as paths (others unchanged). */
export function withVariablePaths(root: SavedNode, names: ReadonlyMap<string, string>): SavedNode {
  const copies = new Map<SavedNode, SavedNode>();
  const copy = (node: SavedNode): SavedNode => {
    const known = copies.get(node);
    if (known !== undefined) return known;
    const out: SavedNode = {
      ...node,
      variables: node.variables.map((v) => ({ ...v, path: names.get(v.path) ?? v.path })),
      children: [],
    };
    copies.set(node, out);
    out.children = node.children.map((edge) => ({ ...edge, node: copy(edge.node) }));
    return out;
  };
  return copy(root);
}
