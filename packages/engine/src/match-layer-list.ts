import {
  type HostTensor,
  type SavedNode,
  type SavedVariable,
  cannot,
  formatShape,
  sameShape,
  savedWeightList,
} from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { Layer } from "./layer.js";
import type { Model } from "./model.js";
import type { Variable } from "./variable.js";
import type { ResolvedMatchOptions } from "./weight-matcher.js";

/**
 * Pairs a `layer-list` tree (Keras 2 H5: one edge per layer, each with its subtree's weights)
 * with the model: the layers that hold weights in order (Keras `load_weights`), or by layer
 * name (`by_name=True`), each layer's whole Keras 2 weight list at once.
 */
export function matchLayerList(model: Model, tree: SavedNode, o: ResolvedMatchOptions): number {
  const liveLayers = model.layers.filter((l) => l.weights.length > 0);
  const edges = tree.children.filter((e) => e.name !== "optimizer");
  let count = 0;
  if (o.byName) {
    for (const edge of edges) {
      const saved = savedWeightList(edge.node);
      if (saved.length === 0) continue;
      const name = edge.node.name ?? edge.name;
      const layer = liveLayers.find((l) => l.name === name);
      if (layer === undefined) {
        if (o.skipMismatch) {
          o.onWarning(`skipped the weights of layer "${name}" in ${o.where}: the model has no layer of that name`);
          continue;
        }
        throw new EngineError(
          "weight-mismatch",
          cannot("load", `the weights of layer "${name}" from ${o.where}`, "the model has no layer of that name"),
          {
            path: o.where,
          },
        );
      }
      count += assignList(layer, saved, o);
    }
    return count;
  }
  const savedLayers = edges.filter((e) => savedWeightList(e.node).length > 0);
  if (savedLayers.length !== liveLayers.length) {
    throw new EngineError(
      "weight-mismatch",
      cannot(
        "load",
        `${o.where} into model "${model.name}"`,
        `it has ${liveLayers.length} layers with weights, the file ${savedLayers.length}`,
      ),
      { path: o.where },
    );
  }
  for (const [i, layer] of liveLayers.entries()) count += assignList(layer, savedWeightList(savedLayers[i]!.node), o);
  return count;
}

function assignList(layer: Layer, saved: readonly SavedVariable[], o: ResolvedMatchOptions): number {
  const live = layer.keras2Weights;
  if (live.length !== saved.length) {
    const reason = `it has ${live.length} weights, the file's layer ${saved.length}`;
    if (o.skipMismatch) {
      o.onWarning(`skipped the weights of layer "${layer.name}" in ${o.where}: ${reason}`);
      return 0;
    }
    throw new EngineError(
      "weight-mismatch",
      cannot("load", `the weights of layer "${layer.name}" from ${o.where}`, reason),
      { path: o.where },
    );
  }
  let n = 0;
  for (const [i, v] of live.entries()) if (assignChecked(v, saved[i]!.value, `${layer.name}/${v.name}`, o)) n++;
  return n;
}

/**
 * Sets one live variable when the shapes agree; otherwise skips it (telling `onWarning`) or
 * throws `weight-mismatch` naming both shapes. Returns whether it was set.
 */
export function assignChecked(v: Variable, value: HostTensor, place: string, o: ResolvedMatchOptions): boolean {
  if (!sameShape(v.shape, value.shape)) {
    const reason = `the model's is ${formatShape(v.shape)}, the file's ${formatShape(value.shape)}`;
    if (o.skipMismatch) {
      o.onWarning(`skipped ${o.where}:${place}: ${reason}`);
      return false;
    }
    throw new EngineError("weight-mismatch", cannot("load", `weight ${place} from ${o.where}`, reason), {
      path: o.where,
    });
  }
  v.assign(value, `${o.where}:${place}`);
  return true;
}
