import { type CustomObjects, type Registry, createRegistry, customObjectEntries, defaultRegistry } from "./registry.js";

// The open scopes, kept across `await`: the scope a load opens must still be open when the load,
// after reading its file, deserializes the layers.
//
// On Node (and runtimes with node:async_hooks) each scope is an AsyncLocalStorage context, so
// concurrent loads see only their own scopes. Elsewhere (browsers) a scope stays open until the
// promise its function returned settles, and concurrent work started meanwhile sees it too: pass
// the scope's registry on as `{ registry }` where that matters. The module imports nothing from
// node: browsers load it unchanged.

/** One open scope: its registry value and the objects it added. */
interface Frame {
  readonly registry: Registry;
  readonly objects: Readonly<Record<string, unknown>>;
}

type Frames = readonly Frame[];

interface AsyncStore {
  run<R>(store: Frames, fn: () => R): R;
  getStore(): Frames | undefined;
}

function asyncStore(): AsyncStore | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const hooks = proc?.getBuiltinModule?.("node:async_hooks") as
      | { AsyncLocalStorage?: new () => AsyncStore }
      | undefined;
    return hooks?.AsyncLocalStorage === undefined ? undefined : new hooks.AsyncLocalStorage();
  } catch {
    return undefined;
  }
}

const store = asyncStore();
let stack: Frames = [];

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/** Options of `customObjectScope`. */
export interface CustomObjectScopeOptions {
  /** The registry the scope layers over. Defaults to the innermost open scope, else `defaultRegistry`. */
  readonly parent?: Registry;
}

/**
 * Runs `fn` with `objects` available by name, as Keras's `custom_object_scope` does, and
 * returns what `fn` returns. The scope is a value: a registry holding `objects` over `parent`,
 * handed to `fn` (pass it on as `{ registry }`). While `fn` runs, and across its awaits, the
 * scope is also open for every deserialization that takes no registry (`loadModel(path)` inside
 * the scope finds the objects); scopes nest, the innermost wins. Async-safe on Node
 * (AsyncLocalStorage); in browsers see the module note.
 */
export function customObjectScope<R>(
  objects: CustomObjects,
  fn: (registry: Registry) => R,
  options: CustomObjectScopeOptions = {},
): R {
  const outer = openScopes();
  const parent = options.parent ?? outer.at(-1)?.registry ?? defaultRegistry;
  const registry = createRegistry({ parent, objects });
  const frames: Frames = [...outer, { registry, objects: Object.fromEntries(customObjectEntries(objects)) }];
  if (store !== undefined) return store.run(frames, () => fn(registry));
  const before = stack;
  stack = frames;
  let result: R;
  try {
    result = fn(registry);
  } catch (error) {
    stack = before;
    throw error;
  }
  if (!isThenable(result)) {
    stack = before;
    return result;
  }
  const close = () => {
    if (stack === frames) stack = before;
  };
  result.then(close, close);
  return result;
}

/** The open scopes, outermost first. */
export function openScopes(): Frames {
  return store === undefined ? stack : (store.getStore() ?? []);
}

/** The innermost open scope's registry, if a scope is open. */
export function currentScope(): Registry | undefined {
  return openScopes().at(-1)?.registry;
}

/** The open scopes' objects merged, the innermost winning. */
export function scopedObjects(): Record<string, unknown> {
  return Object.assign({}, ...openScopes().map((f) => f.objects)) as Record<string, unknown>;
}
