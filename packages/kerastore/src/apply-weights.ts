import type { SavedModelData, WeightLayout } from "@kerastore/core";
import { type Model, matchWeights } from "@kerastore/engine";

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
 * layout calls for, through the engine's one matcher (`matchWeights`). Returns the number of
 * variables set.
 */
export function applyWeights(
  model: Model,
  data: SavedModelData,
  layout: WeightLayout,
  where: string,
  options: ApplyWeightsOptions = {},
): number {
  return matchWeights(model, data.root, layout, { ...options, where });
}
