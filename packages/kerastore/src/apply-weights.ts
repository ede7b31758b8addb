import { KerastoreError, type SavedModelData, type SavedNode, cannot, formatShape } from "@kerastore/core";
import { type Layer, Model, type Variable, applySavedTree, layerToSavedNode } from "@kerastore/engine";
import { keras3WalkPaths } from "@kerastore/h5";
import { applyObjectGraph } from "./checkpoint/apply-object-graph.js";
import { FacadeError } from "./errors.js";
import type { WeightLayout } from "./formats/format.js";

/** How to pair a file's weights with a live model's (the guide's `load_weights` options). */
export interface ApplyWeightsOptions {
  /** Pair layers by name instead of by position (Keras 2 H5 files only, as in Keras). */
  readonly byName?: boolean | undefined;
  /** Skip weights whose shape or count differs instead of failing (needs `byName` for H5). */
  readonly skipMismatch?: boolean | undefined;
  /** Told of every weight skipped. */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/**
 * Sets a live model's weights from a tree a format read, pairing them the way that format's
 * layout calls for. Returns the number of variables set.
 */
export function applyWeights(model: Model, data: SavedModelData, layout: WeightLayout, where: string, options: ApplyWeightsOptions = {}): number {
  switch (layout) {
    case "layer-list":
      if (options.skipMismatch === true && options.byName !== true) {
        throw new FacadeError("bad-argument", cannot("load", `weights from ${where}`, "skipMismatch needs byName for an H5 file", "pass { byName: true, skipMismatch: true }"));
      }
      try {
        return applySavedTree(model, data.root, { match: options.byName === true ? "name" : "topology", skipMismatch: options.skipMismatch });
      } catch (error) {
        // The engine names the layer and weight; say which file they came from.
        if (!(error instanceof KerastoreError)) throw error;
        throw new FacadeError("format-cannot-read", `cannot load ${where}: ${error.message}`, { path: where, cause: error });
      }
    case "walk-path":
      if (options.byName === true) {
        throw new FacadeError("bad-argument", cannot("load", `weights from ${where} by name`, "a Keras 3 weights file pairs weights by their place in the model, not by layer name"));
      }
      return applyByWalkPath(model, data.root, where, options);
    case "object-graph":
      if (options.byName === true) {
        throw new FacadeError("bad-argument", cannot("load", `weights from ${where} by name`, "a TF checkpoint pairs objects by their place in the object graph"));
      }
      return applyObjectGraph(model, data.root, where, options);
    default:
      throw new FacadeError("unsupported", cannot("load", `weights from ${where}`, `no weight matcher pairs the layout "${layout}"`));
  }
}

/** Every live layer reachable from `model`, by the saved node that stands for it. */
function liveNodes(model: Model): Map<SavedNode, Layer> {
  const root = layerToSavedNode(model);
  const map = new Map<SavedNode, Layer>();
  const visit = (node: SavedNode, layer: Layer) => {
    if (map.has(node)) return;
    map.set(node, layer);
    const children = layer instanceof Model ? layer.layers : layer.trackedLayers;
    node.children.forEach((edge, i) => {
      const child = children[i];
      if (child !== undefined) visit(edge.node, child);
    });
  };
  visit(root, model);
  return map;
}

function applyByWalkPath(model: Model, saved: SavedNode, where: string, options: ApplyWeightsOptions): number {
  const nodes = liveNodes(model);
  const liveRoot = [...nodes.keys()][0]!;
  const livePaths = keras3WalkPaths(liveRoot);
  const savedPaths = keras3WalkPaths(saved);
  let count = 0;
  for (const [path, node] of livePaths) {
    const layer = nodes.get(node);
    if (layer === undefined) continue;
    const live: Variable[] = layer.ownWeights;
    if (live.length === 0) continue;
    const file = savedPaths.get(path);
    const place = path === "" ? "/vars" : `${path}/vars`;
    if (file === undefined || file.variables.length !== live.length) {
      const reason = file === undefined ? "the file has no such entry" : `the file holds ${file.variables.length} variables, the layer ${live.length}`;
      if (options.skipMismatch === true) {
        options.onWarning?.(`skipped ${place} of layer "${layer.name}": ${reason}`);
        continue;
      }
      throw new FacadeError("format-cannot-read", cannot("load", `${where}:${place} into layer "${layer.name}"`, reason));
    }
    for (const [i, variable] of live.entries()) {
      const value = file.variables[i]!.value;
      const same = value.shape.length === variable.shape.length && value.shape.every((d, j) => d === variable.shape[j]);
      if (!same) {
        const reason = `the file's shape is ${formatShape(value.shape)}, the layer's ${formatShape(variable.shape)}`;
        if (options.skipMismatch === true) {
          options.onWarning?.(`skipped ${place}/${i} of layer "${layer.name}": ${reason}`);
          continue;
        }
        throw new FacadeError("format-cannot-read", cannot("load", `${where}:${place}/${i} into ${variable.path}`, reason));
      }
      variable.assign(value, `${where}:${place}/${i}`);
      count++;
    }
  }
  return count;
}
