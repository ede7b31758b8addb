import type { SavedNode } from "@kerastore/core";
import type { Model } from "./model.js";
import type { ResolvedMatchOptions } from "./weight-matcher.js";

/** Pairs a `walk-path` tree with the model by Keras 3 walk path. */
export function matchWalkPath(_model: Model, _tree: SavedNode, _options: ResolvedMatchOptions): number {
  throw new Error("not yet");
}
