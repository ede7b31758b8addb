import { cannot } from "@kerastore/core";
import { type ObjectKind, builtinRegistry, defaultRegistry, kindLabel, scopedObjects } from "@kerastore/registry";
import { EngineError } from "./errors.js";
import { kerasObjectNames } from "./keras-object-names.js";
import type { FromConfigContext } from "./keras-object.js";

/** Where a name was found: the call's `customObjects`, an open scope, the user's registry, the built-ins. */
export type ObjectSource = "custom" | "scope" | "registered" | "builtin";

/** A class or function found by name, with where it came from. */
export interface ResolvedObject {
  readonly value: unknown;
  readonly source: ObjectSource;
  /** The name it was found under. */
  readonly name: string;
}

/**
 * Finds the class or function behind a name, for every kind of serializable object, in the one
 * order: the `customObjects` of the call, then the innermost open `customObjectScope` (then the
 * outer ones), then the registry of the call (`registerSerializable` files into
 * `defaultRegistry`), then the built-ins (`builtinRegistry`, filled by `installBuiltins()`).
 * The names are tried in the order given (`registered_name` before `class_name`) at each level.
 */
export function resolveObject(
  kind: ObjectKind,
  names: readonly (string | null | undefined)[],
  ctx: FromConfigContext = {},
): ResolvedObject | undefined {
  const exact = names.filter((n): n is string => typeof n === "string" && n.length > 0);
  if (exact.length === 0) return undefined;
  // Custom objects are also found by the bare name of a `package>Name` (Keras 2 files write the
  // registered name as the class name; users key customObjects by the plain name), after every
  // full name; built-ins only by their own names.
  const bare = exact.filter((n) => n.includes(">")).map((n) => n.slice(n.lastIndexOf(">") + 1));
  const wanted = [...new Set([...exact, ...bare])];
  const own = ctx.customObjects;
  if (own !== undefined) {
    for (const name of wanted) if (Object.hasOwn(own, name)) return { value: own[name], source: "custom", name };
  }
  const scoped = scopedObjects();
  for (const name of wanted) if (Object.hasOwn(scoped, name)) return { value: scoped[name], source: "scope", name };
  const registered = (ctx.registry ?? defaultRegistry).lookup(wanted, { kind });
  if (registered !== undefined) return { value: registered.value, source: "registered", name: registered.name };
  const builtin = builtinRegistry.lookup(exact, { kind });
  if (builtin !== undefined) return { value: builtin.value, source: "builtin", name: builtin.name };
  return undefined;
}

/** A built-in of `kind` by name (no custom objects), or undefined. */
export function builtinObject<T>(kind: ObjectKind, name: string): T | undefined {
  return builtinRegistry.get(name, { kind }) as T | undefined;
}

/** The names of the built-ins of `kind` in the registry, in registration order (aliases included). */
export function builtinNames(kind: ObjectKind): string[] {
  return builtinRegistry
    .ownEntries()
    .filter((e) => e.kind === kind)
    .map((e) => e.name);
}

/**
 * The error for a name no level knows: `unsupported` ("not supported by Kerastore yet") for a
 * Keras built-in Kerastore lacks, where customObjects would not help; else `unknown-object`,
 * saying how to make the name known.
 */
export function unknownObjectError(kind: ObjectKind, name: string): EngineError {
  const label = kindLabel(kind);
  if (kerasObjectNames(kind).has(kind === "optimizer" ? name.toLowerCase() : name)) {
    return new EngineError(
      "unsupported",
      cannot(
        "deserialize",
        `${label} "${name}"`,
        `Keras ${label} ${name} is not supported by Kerastore yet`,
        `pass your own implementation in customObjects under "${name}" (or register it with registerSerializable)`,
      ),
    );
  }
  return new EngineError(
    "unknown-object",
    cannot(
      "find",
      `${label} "${name}"`,
      `it is neither a Keras ${label} nor a registered one`,
      `pass it in customObjects or register it with registerSerializable (key "package>Name")`,
    ),
  );
}
