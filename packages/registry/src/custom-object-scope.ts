import { type CustomObjects, type Registry, createRegistry, defaultRegistry } from "./registry.js";

/** Options of `customObjectScope`. */
export interface CustomObjectScopeOptions {
  /** The registry the scope layers over. Defaults to `defaultRegistry`. */
  readonly parent?: Registry;
}

/**
 * Runs `fn` with a registry that adds `objects` over `parent`, and returns what `fn` returns.
 *
 * The Keras `with custom_object_scope(...)` idiom without ambient state: the scope is a value
 * handed to `fn`, to pass on as `{ registry }`. Nested scopes extend the outer one when built
 * with `{ parent: outer }`. Works for async `fn` too, since nothing has to be undone afterwards.
 */
export function customObjectScope<R>(
  objects: CustomObjects,
  fn: (registry: Registry) => R,
  options: CustomObjectScopeOptions = {},
): R {
  return fn(createRegistry({ parent: options.parent ?? defaultRegistry, objects }));
}
