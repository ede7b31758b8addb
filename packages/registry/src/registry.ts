import { cannot } from "@kerastore/core";
import { RegistryError } from "./errors.js";
import type { ObjectKind } from "./kinds.js";

/** A class (instantiated through `fromConfig` or `new`) or a plain function (an activation, a loss). */
export type RegistrableValue = (abstract new (...args: never[]) => unknown) | ((...args: never[]) => unknown);

/** The custom objects a scope adds: a record or entries keyed by the name they are looked up by. */
export type CustomObjects = Readonly<Record<string, RegistrableValue>> | Iterable<readonly [string, RegistrableValue]>;

/** One registration: a name bound to a class or function, with what Keras writes for it. */
export interface RegistryEntry {
  /** The name the entry is found by: `Dense`, `relu`, `MyPkg>MyLayer`. */
  readonly name: string;
  /** The class or function. */
  readonly value: RegistrableValue;
  /** The Keras `class_name` an instance serializes to (the class's own name, as Keras writes `cls.__name__`). */
  readonly className: string;
  /**
   * The Keras `registered_name`: `null` for built-ins that Keras exports under a public module,
   * else the name the entry is found by (`MyPkg>MyLayer`, or the bare name for custom objects).
   */
  readonly registeredName: string | null;
  /** The Keras 3 `module` written in envelopes: `keras.layers` for Dense, `null` for custom classes. */
  readonly module: string | null;
  /** What sort of object it is; `undefined` matches every kind. */
  readonly kind: ObjectKind | undefined;
}

/** How `Registry.register` files an entry. Every field may be left out. */
export interface RegisterOptions {
  /** The Keras 3 module (`keras.layers`). Giving one marks a built-in: `registeredName` defaults to `null`. */
  readonly module?: string | null;
  /** The kind of object; leave out for an entry that answers every kind. */
  readonly kind?: ObjectKind;
  /** The Keras class name; defaults to the value's own `name`, else the registered name. */
  readonly className?: string;
  /** The Keras `registered_name`; defaults to `null` when `module` starts with `keras`, else to the name. */
  readonly registeredName?: string | null;
  /** Replace an entry of the same name and kind instead of failing. Defaults to `false`. */
  readonly replace?: boolean;
}

/** Narrows a lookup. */
export interface LookupQuery {
  /** Only entries of this kind (or without a kind). */
  readonly kind?: ObjectKind | undefined;
  /** Among several matches in one registry, prefer the one with this module. */
  readonly module?: string | null | undefined;
}

/**
 * Names bound to classes and functions, layered over an optional parent.
 *
 * Lookup precedence (the one rule everything follows): the innermost registry first, then its
 * parent, and so on to the root. Inside one registry, the names given are tried in order; for
 * one name, only entries whose kind matches the query (or that have no kind) count, and among
 * them the first found of: the entry whose module equals the query's module, the entry of
 * exactly the asked kind, the earliest registration.
 */
export interface Registry {
  /** The registry lookups fall through to, if any. */
  readonly parent: Registry | undefined;
  /** Binds `name` to `value` in this registry (never in the parent) and returns the entry. */
  register(name: string, value: RegistrableValue, options?: RegisterOptions): RegistryEntry;
  /** Finds the entry for the first of `names` that matches, following the precedence above. */
  lookup(names: string | readonly string[], query?: LookupQuery): RegistryEntry | undefined;
  /** The value registered under `name`, or `undefined`. */
  get(name: string, query?: LookupQuery): RegistrableValue | undefined;
  /** Finds how `value` is registered (object to name), innermost registry first. */
  entryOf(value: unknown): RegistryEntry | undefined;
  /** The name `value` is registered under (`MyPkg>MyLayer`), or `undefined`. */
  nameOf(value: unknown): string | undefined;
  /** The entries registered in this registry itself, in registration order. */
  ownEntries(): readonly RegistryEntry[];
  /** A new registry holding `objects`, layered over this one. */
  scope(objects?: CustomObjects): Registry;
}

/** What `createRegistry` builds from. */
export interface CreateRegistryOptions {
  /** The registry lookups fall through to. */
  readonly parent?: Registry | undefined;
  /** Objects to register at once, each under its key, with no kind and no module. */
  readonly objects?: CustomObjects | undefined;
}

/** Makes a registry, optionally layered over `parent` and pre-filled with `objects`. */
export function createRegistry(options: CreateRegistryOptions = {}): Registry {
  return new LayeredRegistry(options.parent, options.objects);
}

/** Entries of a `CustomObjects` value, whichever shape it has. */
export function customObjectEntries(objects: CustomObjects): Array<readonly [string, RegistrableValue]> {
  if (Symbol.iterator in objects) return [...(objects as Iterable<readonly [string, RegistrableValue]>)];
  return Object.entries(objects as Readonly<Record<string, RegistrableValue>>);
}

class LayeredRegistry implements Registry {
  readonly parent: Registry | undefined;
  readonly #byName = new Map<string, RegistryEntry[]>();
  readonly #byValue = new Map<unknown, RegistryEntry>();
  readonly #order: RegistryEntry[] = [];

  constructor(parent: Registry | undefined, objects: CustomObjects | undefined) {
    this.parent = parent;
    if (objects !== undefined) {
      for (const [name, value] of customObjectEntries(objects)) this.register(name, value, { registeredName: name });
    }
  }

  register(name: string, value: RegistrableValue, options: RegisterOptions = {}): RegistryEntry {
    if (typeof name !== "string" || name.length === 0) {
      throw new RegistryError("invalid-name", cannot("register", "an object", "its name is empty"));
    }
    if (typeof value !== "function") {
      throw new RegistryError(
        "invalid-value",
        cannot("register", `"${name}"`, `expected a class or a function, got ${describe(value)}`),
      );
    }
    const module = options.module ?? null;
    const isBuiltin = module !== null && (module === "keras" || module.startsWith("keras."));
    const entry: RegistryEntry = Object.freeze({
      name,
      value,
      className: options.className ?? (value.name !== "" ? value.name : name),
      registeredName: options.registeredName !== undefined ? options.registeredName : isBuiltin ? null : name,
      module,
      kind: options.kind,
    });
    const same = this.#byName.get(name) ?? [];
    const clash = same.findIndex((e) => e.kind === entry.kind);
    if (clash >= 0) {
      const old = same[clash]!;
      if (old.value === value && !options.replace) return old;
      if (!options.replace) {
        throw new RegistryError(
          "duplicate-name",
          cannot(
            "register",
            `"${name}"`,
            `the name is already taken by ${describe(old.value)}`,
            "pass { replace: true } to rebind it, or register it under another package or name",
          ),
        );
      }
      same.splice(clash, 1);
      this.#order.splice(this.#order.indexOf(old), 1);
      if (this.#byValue.get(old.value) === old) this.#byValue.delete(old.value);
    }
    same.push(entry);
    this.#byName.set(name, same);
    this.#order.push(entry);
    if (!this.#byValue.has(value)) this.#byValue.set(value, entry);
    return entry;
  }

  lookup(names: string | readonly string[], query: LookupQuery = {}): RegistryEntry | undefined {
    const list = typeof names === "string" ? [names] : names;
    for (let registry: Registry | undefined = this; registry !== undefined; registry = registry.parent) {
      const own = registry instanceof LayeredRegistry ? registry : undefined;
      if (own === undefined) {
        // A foreign Registry implementation: let it answer for itself and its parents.
        return registry.lookup(list, query);
      }
      for (const name of list) {
        const hit = own.#ownLookup(name, query);
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  }

  get(name: string, query?: LookupQuery): RegistrableValue | undefined {
    return this.lookup(name, query)?.value;
  }

  entryOf(value: unknown): RegistryEntry | undefined {
    return this.#byValue.get(value) ?? this.parent?.entryOf(value);
  }

  nameOf(value: unknown): string | undefined {
    return this.entryOf(value)?.name;
  }

  ownEntries(): readonly RegistryEntry[] {
    return [...this.#order];
  }

  scope(objects?: CustomObjects): Registry {
    return createRegistry({ parent: this, objects });
  }

  #ownLookup(name: string, query: LookupQuery): RegistryEntry | undefined {
    const entries = this.#byName.get(name);
    if (entries === undefined) return undefined;
    const fits = entries.filter((e) => query.kind === undefined || e.kind === undefined || e.kind === query.kind);
    if (fits.length === 0) return undefined;
    if (query.module !== undefined) {
      const sameModule = fits.find((e) => e.module === query.module);
      if (sameModule !== undefined) return sameModule;
    }
    // An exact kind match beats a kind-less entry registered earlier.
    if (query.kind !== undefined) {
      const exact = fits.find((e) => e.kind === query.kind);
      if (exact !== undefined) return exact;
    }
    return fits[0];
  }
}

/**
 * The built-ins' table: the engine's `installBuiltins()` registers its classes and functions
 * here (an explicit, idempotent call its entry point makes). Lookups try custom objects and the
 * user's registries first, then this one, so a user's `Dense` wins over the built-in.
 */
export const builtinRegistry: Registry = createRegistry();

/**
 * The registry used when none is passed. It starts empty: nothing registers itself on import;
 * the engine installs its built-ins by an explicit call.
 */
export const defaultRegistry: Registry = createRegistry();

function describe(value: unknown): string {
  if (typeof value === "function") return value.name === "" ? "an anonymous function" : `${value.name}`;
  if (value === null) return "null";
  return typeof value;
}
