/**
 * Keras-style unique names: `dense`, `dense_1`, `dense_2`, ... per session.
 *
 * Like `keras.backend.clear_session()`, {@link clearSession} starts the counters again.
 */
const counters = new Map<string, number>();

/** Keras's `to_snake_case`, the one copy in `@kerastore/core`. */
export { toSnakeCase } from "@kerastore/core";

/** The next unique name for a prefix (`dense`, then `dense_1`, ...). */
export function uniqueName(prefix: string): string {
  const n = counters.get(prefix) ?? 0;
  counters.set(prefix, n + 1);
  return n === 0 ? prefix : `${prefix}_${n}`;
}

/** Marks a user-chosen name as taken so that automatic names skip it. */
export function reserveName(name: string): void {
  if (!counters.has(name)) counters.set(name, 1);
}

/** Resets the name counters, as `keras.backend.clear_session()` does. */
export function clearSession(): void {
  counters.clear();
}
