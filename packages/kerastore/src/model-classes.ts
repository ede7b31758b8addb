import * as engine from "@kerastore/engine";
import type { Target } from "./location.js";
import {
  type LoadWeightsOptions,
  type LoadWeightsResult,
  type SaveModelOptions,
  type SaveWeightsOptions,
  loadWeights,
  saveModel,
  saveWeights,
} from "./model-io.js";

/**
 * A Keras model that can save itself: the engine's `Model` (Functional, or the base of
 * subclassed models) with `save`, `saveWeights` and `loadWeights`.
 */
export class Model extends engine.Model {
  // Keras names a class by its own name unless it says otherwise; these are Keras's classes.
  static override readonly className: string = "Functional";

  /** Saves the whole model (format by `options.format` or the extension: `.keras`, `.h5`). */
  save(target: Target, options: SaveModelOptions = {}): Promise<void> {
    return saveModel(this, target, options);
  }

  /** Saves the weights (`.weights.h5` Keras 3 weights file, `.h5` Keras 2 weights-only file). */
  saveWeights(target: Target, options: SaveWeightsOptions = {}): Promise<void> {
    return saveWeights(this, target, options);
  }

  /** Loads weights saved by Keras or Kerastore; `{ byName, skipMismatch }` as in Keras. */
  loadWeights(target: Target, options: LoadWeightsOptions = {}): Promise<LoadWeightsResult> {
    return loadWeights(this, target, options);
  }
}

// Sequential repeats Model's three one-line delegations: a mixin would say it once, but
// TypeScript cannot emit declarations for a mixin over classes with protected members.
/** A Keras Sequential model that can save itself (see {@link Model}). */
export class Sequential extends engine.Sequential {
  static override readonly className: string = "Sequential";

  save(target: Target, options: SaveModelOptions = {}): Promise<void> {
    return saveModel(this, target, options);
  }

  saveWeights(target: Target, options: SaveWeightsOptions = {}): Promise<void> {
    return saveWeights(this, target, options);
  }

  loadWeights(target: Target, options: LoadWeightsOptions = {}): Promise<LoadWeightsResult> {
    return loadWeights(this, target, options);
  }
}

/** A model that can save itself. */
export type SavableModel = Model | Sequential;

/**
 * The model classes loaders build, by the Keras names configs use, so that loaded models can
 * save themselves too.
 */
export const modelClasses: Readonly<Record<string, unknown>> = Object.freeze({
  Functional: Model,
  Model,
  Sequential,
});
