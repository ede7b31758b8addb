import { type ActivationInfo, Layer, Model, changedDefinition } from "@kerastore/engine";

function isActivation(value: unknown): value is ActivationInfo {
  return typeof value === "object" && value !== null && typeof (value as ActivationInfo).fn === "function" && typeof (value as ActivationInfo).name === "string" && "builtin" in value;
}

/**
 * The top-level layers of a live model that compute an activation by Keras 3's definition where
 * Keras 2's differs (`hard_sigmoid`): a model built here or read from a Keras 3 file. tfjs-layers
 * computes Keras 2's, so these cannot be written for it. `undefined` when `liveModel` is not a model.
 */
export function layersWithKeras3Definitions(liveModel: unknown): Set<string> | undefined {
  if (!(liveModel instanceof Model)) return undefined;
  const found = new Set<string>();
  for (const layer of liveModel.layers) if (computesKeras3(layer, new Set(), 0)) found.add(layer.name);
  return found;
}

function computesKeras3(value: unknown, seen: Set<unknown>, depth: number): boolean {
  if (typeof value !== "object" || value === null || seen.has(value) || depth > 12) return false;
  seen.add(value);
  if (isActivation(value)) return changedDefinition(value) === 3;
  const entries = Array.isArray(value) ? value : Object.values(value);
  return entries.some((child) => (child instanceof Layer || isActivation(child) || Array.isArray(child)) && computesKeras3(child, seen, depth + 1));
}
