import { type SavedNode, cannot, keras3WalkPaths } from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { Layer } from "./layer.js";
import { assignChecked } from "./match-layer-list.js";
import { Model } from "./model.js";
import { layerToSavedNode } from "./saved-tree.js";
import type { ResolvedMatchOptions } from "./weight-matcher.js";

/** Every live layer reachable from `model`, by the saved node that stands for it. */
function liveNodes(model: Model): { root: SavedNode; layers: Map<SavedNode, Layer> } {
  const root = layerToSavedNode(model);
  const layers = new Map<SavedNode, Layer>();
  const visit = (node: SavedNode, layer: Layer) => {
    if (layers.has(node)) return;
    layers.set(node, layer);
    const children = layer instanceof Model ? layer.layers : layer.trackedLayers;
    node.children.forEach((edge, i) => {
      const child = children[i];
      if (child !== undefined) visit(edge.node, child);
    });
  };
  visit(root, model);
  return { root, layers };
}

/**
 * Pairs a `walk-path` tree (Keras 3: `.keras`, `.weights.h5`, sharded weights) with the model
 * the way Keras 3 `load_weights` does: both trees are walked into paths (`layers/dense_1`), and
 * each live layer's own variables take the `vars` of the same path, in order.
 */
export function matchWalkPath(model: Model, tree: SavedNode, o: ResolvedMatchOptions): number {
  const { root, layers } = liveNodes(model);
  const savedPaths = keras3WalkPaths(tree);
  let count = 0;
  for (const [path, node] of keras3WalkPaths(root)) {
    const layer = layers.get(node);
    if (layer === undefined) continue;
    const live = layer.ownWeights;
    if (live.length === 0) continue;
    const file = savedPaths.get(path);
    const place = path === "" ? "/vars" : `${path}/vars`;
    if (file === undefined || file.variables.length !== live.length) {
      const reason =
        file === undefined
          ? "the file has no such entry"
          : `the file holds ${file.variables.length} variables, the layer ${live.length}`;
      if (o.skipMismatch) {
        o.onWarning(`skipped ${place} of layer "${layer.name}": ${reason}`);
        continue;
      }
      throw new EngineError(
        "weight-mismatch",
        cannot("load", `${o.where}:${place} into layer "${layer.name}"`, reason),
        { path: o.where },
      );
    }
    for (const [i, variable] of live.entries())
      if (assignChecked(variable, file.variables[i]!.value, `${place}/${i}`, o)) count++;
  }
  return count;
}
