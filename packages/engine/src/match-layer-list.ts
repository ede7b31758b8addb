import type { SavedNode } from "@kerastore/core";
import type { Model } from "./model.js";
import type { ResolvedMatchOptions } from "./weight-matcher.js";

/** Pairs a `layer-list` tree's layers with the model's, by position or by name. */
export function matchLayerList(_model: Model, _tree: SavedNode, _options: ResolvedMatchOptions): number {
  throw new Error("not yet");
}
