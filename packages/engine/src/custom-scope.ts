// customObjectScope's open scopes, kept across `await`: the scope a load opens must still be
// open when the load, after reading its file, deserializes the layers.
//
// On Node (and runtimes with node:async_hooks) each scope is an AsyncLocalStorage context, so
// concurrent loads see only their own scopes. Elsewhere a scope stays open until the promise
// its function returned settles (concurrent work started meanwhile sees it too). The module
// imports nothing from node: browsers load it unchanged.

type Frames = readonly Readonly<Record<string, unknown>>[];

interface AsyncStore {
  run<R>(store: Frames, fn: () => R): R;
  getStore(): Frames | undefined;
}

function asyncStore(): AsyncStore | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    const hooks = proc?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: new () => AsyncStore } | undefined;
    return hooks?.AsyncLocalStorage === undefined ? undefined : new hooks.AsyncLocalStorage();
  } catch {
    return undefined;
  }
}

const store = asyncStore();
let stack: Frames = [];

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";

/**
 * Runs `fn` with `objects` available to every `fromConfig` by name, as Keras's
 * `custom_object_scope` does; scopes nest, the innermost wins. Works for async `fn`
 * (`customObjectScope(objects, () => loadModel(path))`): the scope stays open across its awaits.
 * Sugar over passing `customObjects` explicitly.
 */
export function customObjectScope<T>(objects: Readonly<Record<string, unknown>>, fn: () => T): T {
  const frames = [...openScopes(), { ...objects }];
  if (store !== undefined) return store.run(frames, fn);
  const outer = stack;
  stack = frames;
  let result: T;
  try {
    result = fn();
  } catch (error) {
    stack = outer;
    throw error;
  }
  if (!isThenable(result)) {
    stack = outer;
    return result;
  }
  const close = () => {
    if (stack === frames) stack = outer;
  };
  result.then(close, close);
  return result;
}

/** The open scopes, outermost first. */
export function openScopes(): Frames {
  return store === undefined ? stack : (store.getStore() ?? []);
}

/** The open scopes' objects merged, the innermost winning. */
export function scopedObjects(): Record<string, unknown> {
  return Object.assign({}, ...openScopes()) as Record<string, unknown>;
}
