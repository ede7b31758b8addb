import type { LoadedSavedModel, LoadSavedModelOptions } from "@kerastore/savedmodel-lowering";
import { locateForRead, type Target } from "./location.js";

/**
 * Loads a SavedModel directory (TensorFlow 2 `tf.saved_model.save`, Keras 3 `model.export`) and
 * runs its functions on the tfjs backend, with no Keras model rebuilt: a graph-only load.
 *
 * `target` is the directory's path, or a `{ store, path }` location.
 */
export async function loadSavedModel(target: Target, options: LoadSavedModelOptions = {}): Promise<LoadedSavedModel> {
  // The graph runner loads when a SavedModel is loaded: a bundle that never does, lacks it.
  const { loadSavedModel: loadAt } = await import("@kerastore/savedmodel-lowering");
  return loadAt(await locateForRead(target), options);
}
