/**
 * Returns `value` with every object's keys sorted, so JSON values compare equal whatever their
 * key order (Keras writes `sort_keys=False`; the order carries no meaning).
 */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
