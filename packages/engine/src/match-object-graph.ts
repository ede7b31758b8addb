import type { SavedNode } from "@kerastore/core";
import type { Model } from "./model.js";
import type { ResolvedMatchOptions } from "./weight-matcher.js";

/** Pairs a `object-graph` tree with the model by object-graph edge. */
export function matchObjectGraph(_model: Model, _tree: SavedNode, _options: ResolvedMatchOptions): number {
  throw new Error("not yet");
}
