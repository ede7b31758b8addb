import { type Activation, changedDefinition } from "./activations.js";
import { Layer } from "./layer.js";
import type { Model } from "./model.js";

function isActivation(value: unknown): value is Activation {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Activation).fn === "function" &&
    typeof (value as Activation).name === "string" &&
    "builtin" in value
  );
}

/**
 * The layers of `model` (nested models, wrappers and cells included) with an activation whose
 * definition Keras 3 changed (`hard_sigmoid`) computed as the other Keras than `reader` defines
 * it: a file only names the activation, so a reader of that Keras would compute something else.
 * A model read from a Keras 2 file computes Keras 2's; one built here, Keras 3's. Returned as
 * `layer name (activation, Keras N's definition)`.
 */
export function layersWithOtherDefinitions(model: Model, reader: 2 | 3): string[] {
  const found: string[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, owner: string, depth: number): void => {
    if (typeof value !== "object" || value === null || seen.has(value) || depth > 12) return;
    seen.add(value);
    if (isActivation(value)) {
      const major = changedDefinition(value);
      if (major !== undefined && major !== reader) found.push(`${owner} (${value.name}, Keras ${major}'s definition)`);
      return;
    }
    const name = value instanceof Layer ? value.name : owner;
    const entries = Array.isArray(value) ? value : Object.values(value);
    for (const child of entries)
      if (child instanceof Layer || isActivation(child) || Array.isArray(child)) visit(child, name, depth + 1);
  };
  visit(model, model.name, 0);
  return [...new Set(found)];
}
