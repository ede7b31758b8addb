/**
 * What sort of Keras object a registry entry or a lookup is about.
 *
 * Keras reuses class and function names across kinds (`MeanSquaredError` is both a loss and a
 * metric; `mean_squared_error` both a loss and a metric function), so built-ins carry a kind and
 * lookups may ask for one. The kind also names the thing in error messages
 * (`unknown layer class "X"`).
 */
export type ObjectKind =
  | "layer"
  | "model"
  | "initializer"
  | "regularizer"
  | "constraint"
  | "activation"
  | "loss"
  | "metric"
  | "optimizer"
  | "schedule"
  | "dtype-policy"
  | "object";

/** Every kind, in a stable order. */
export const objectKinds: readonly ObjectKind[] = Object.freeze([
  "layer",
  "model",
  "initializer",
  "regularizer",
  "constraint",
  "activation",
  "loss",
  "metric",
  "optimizer",
  "schedule",
  "dtype-policy",
  "object",
]);

/** The kind as words for messages: `dtype-policy` reads `dtype policy`. */
export function kindLabel(kind: ObjectKind | undefined): string {
  return kind === undefined ? "object" : kind.replace("-", " ");
}
