import { type SavedNode, type WeightLayout, cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import { matchLayerList } from "./match-layer-list.js";
import { matchObjectGraph } from "./match-object-graph.js";
import { matchWalkPath } from "./match-walk-path.js";
import type { Model } from "./model.js";

/** Options of {@link matchWeights}. */
export interface MatchWeightsOptions {
  /**
   * `layer-list` only: pair layers by name instead of by position (Keras `by_name=True`).
   * The other layouts pair by place and refuse it.
   */
  readonly byName?: boolean | undefined;
  /**
   * Skip saved entries the model lacks and weights whose shape or count differs, telling
   * `onWarning`, instead of failing. With `layer-list` it needs `byName`, as in Keras.
   */
  readonly skipMismatch?: boolean | undefined;
  /** Told of every weight skipped. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** The file (or other source) messages name. Default `"the saved tree"`. */
  readonly where?: string | undefined;
}

/** Options every layout's matcher receives, defaults filled in. */
export interface ResolvedMatchOptions {
  readonly byName: boolean;
  readonly skipMismatch: boolean;
  readonly onWarning: (message: string) => void;
  readonly where: string;
}

const DEFAULTS: ResolvedMatchOptions = Object.freeze({
  byName: false,
  skipMismatch: false,
  onWarning: () => {},
  where: "the saved tree",
});

/**
 * Sets a live model's weights from a saved tree, pairing its variables with the model's the
 * way `layout` says: by topology or layer name (`layer-list`), by Keras 3 walk path
 * (`walk-path`), or by TF object-graph edge (`object-graph`). Returns how many variables were
 * set. Every load path (`loadModel`, `loadWeights`, `fromSavedModelData`) goes through here.
 *
 * Throws `EngineError` `weight-mismatch` naming the file place and the model's weight when a
 * pair differs (unless `skipMismatch`), `invalid-argument` for options the layout cannot
 * honour, and `unsupported` for a layout the engine does not know.
 */
export function matchWeights(
  model: Model,
  tree: SavedNode,
  layout: WeightLayout,
  options: MatchWeightsOptions = {},
): number {
  const o: ResolvedMatchOptions = {
    byName: options.byName ?? DEFAULTS.byName,
    skipMismatch: options.skipMismatch ?? DEFAULTS.skipMismatch,
    onWarning: options.onWarning ?? DEFAULTS.onWarning,
    where: options.where ?? DEFAULTS.where,
  };
  switch (layout) {
    case "layer-list":
      if (o.skipMismatch && !o.byName) {
        throw new EngineError(
          "invalid-argument",
          cannot(
            "load",
            `weights from ${o.where}`,
            "skipMismatch needs byName for a layer-list (Keras 2 H5) file",
            "pass { byName: true, skipMismatch: true }",
          ),
        );
      }
      return matchLayerList(model, tree, o);
    case "walk-path":
      if (o.byName) {
        throw new EngineError(
          "invalid-argument",
          cannot(
            "load",
            `weights from ${o.where} by name`,
            "a Keras 3 weights file pairs weights by their place in the model, not by layer name",
          ),
        );
      }
      return matchWalkPath(model, tree, o);
    case "object-graph":
      if (o.byName) {
        throw new EngineError(
          "invalid-argument",
          cannot(
            "load",
            `weights from ${o.where} by name`,
            "a TF checkpoint pairs objects by their place in the object graph",
          ),
        );
      }
      return matchObjectGraph(model, tree, o);
    default:
      throw new EngineError(
        "unsupported",
        cannot(
          "load",
          `weights from ${o.where}`,
          `the engine knows no weight layout "${layout}"`,
          "use layer-list, walk-path or object-graph",
        ),
      );
  }
}
