/**
 * How the variables of a tree a format reads pair with a live model's. A read result says
 * its own layout; the engine's one weight matcher (`matchWeights`) follows it.
 *
 * - `layer-list`: the model node's layer edges in file order, each with its layer's whole
 *   weight list (Keras 2 H5, JSON + binary): by topology, or by layer name on request;
 * - `walk-path`: Keras 3 walk paths (`layers/dense_1/vars/0`), derived from class names;
 * - `object-graph`: TF checkpoint object-graph edges (`layer_with_weights-0/kernel`).
 *
 * Open to more: a plugin may name its own layout, which the matcher refuses with a typed
 * error until the engine learns it. The built-in names are in {@link WEIGHT_LAYOUTS}.
 */
export type WeightLayout = BuiltinWeightLayout | (string & {});

/** The layouts the engine's matcher knows. */
export type BuiltinWeightLayout = "layer-list" | "walk-path" | "object-graph";

/** The layouts the engine's matcher knows, in the order the docs list them. */
export const WEIGHT_LAYOUTS: readonly BuiltinWeightLayout[] = Object.freeze([
  "layer-list",
  "walk-path",
  "object-graph",
]);

/** True when `layout` is one of the built-in layouts. */
export function isBuiltinWeightLayout(layout: string): layout is BuiltinWeightLayout {
  return (WEIGHT_LAYOUTS as readonly string[]).includes(layout);
}
