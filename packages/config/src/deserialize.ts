import { type JsonObject, cannot, isJsonObject } from "@kerastore/core";
import {
  type CustomObjects,
  type ObjectKind,
  type RegistrableValue,
  type Registry,
  createRegistry,
  defaultRegistry,
  kindLabel,
} from "@kerastore/registry";
import { ConfigError, maxConfigDepth } from "./errors.js";
import { at } from "./serialize.js";

/** Options of `deserialize`. */
export interface DeserializeOptions {
  /** Where names are looked up. Defaults to `defaultRegistry`. */
  readonly registry?: Registry;
  /** Extra objects for this call only, looked up before `registry` (a scope over it). */
  readonly customObjects?: CustomObjects;
  /** What the value is expected to be: narrows lookups and names the thing in errors. */
  readonly kind?: ObjectKind;
  /**
   * Objects already made for a Keras 3 `shared_object_id`: an envelope carrying an id seen
   * before gives the same object again. Pass the one from `FromConfigOptions` on to nested
   * calls so sharing spans a whole model. A new map is used when absent.
   */
  readonly sharedObjects?: Map<number, unknown>;
}

/** What `fromConfig` receives besides the config: the registry in effect, to deserialize nested objects. */
export interface FromConfigOptions {
  /** The registry of this call, `customObjects` included. */
  readonly registry: Registry;
  /** The objects made so far per `shared_object_id`; pass it on to nested `deserialize` calls. */
  readonly sharedObjects: Map<number, unknown>;
}

/** A class Keras configs can name: made by `static fromConfig(config, options)` when present, else `new cls(config)`. */
export interface ConfigurableClass<T = unknown> {
  new (config: JsonObject): T;
  fromConfig?(config: JsonObject, options: FromConfigOptions): T;
}

/**
 * Turns Keras JSON of either dialect back into objects.
 *
 * - an envelope `{class_name, config, ...}` becomes an instance of the class it names, made by
 *   its `static fromConfig(config, { registry })` or `new cls(config)`; the config is handed over
 *   as JSON: nested objects inside it are the class's to deserialize (with this function);
 *   `build_config` / `compile_config` go to `instance.buildFromConfig` / `compileFromConfig` when
 *   those exist;
 * - a Keras 3 function reference (`class_name: "function"`), a string given as the value itself,
 *   or a string in a list given as the value, becomes the function registered under that name
 *   (strings inside plain objects are data and stay strings);
 * - `{"class_name": "__tuple__", "items": [...]}` becomes an array; arrays and plain objects are walked.
 *
 * Names are looked up with `registered_name` first, then `class_name` (see the registry's
 * precedence). An unknown name throws `unknown <kind> class "<name>": pass it in customObjects or
 * register it with registerSerializable`.
 */
export function deserialize(json: unknown, options: DeserializeOptions = {}): unknown {
  const base = options.registry ?? defaultRegistry;
  const registry =
    options.customObjects === undefined ? base : createRegistry({ parent: base, objects: options.customObjects });
  const sharedObjects = options.sharedObjects ?? new Map<number, unknown>();
  return deserializeValue({ registry, sharedObjects, ancestors: new Set() }, json, options.kind, "", 0, true);
}

/** The message for a name no registry knows. */
export function unknownNameMessage(kind: ObjectKind | undefined, what: "class" | "function", name: string): string {
  return `unknown ${kindLabel(kind)} ${what} "${name}": pass it in customObjects or register it with registerSerializable`;
}

interface DeserializeState {
  readonly registry: Registry;
  readonly sharedObjects: Map<number, unknown>;
  readonly ancestors: Set<object>;
}

function deserializeValue(
  state: DeserializeState,
  json: unknown,
  kind: ObjectKind | undefined,
  path: string,
  depth: number,
  asName: boolean,
): unknown {
  if (depth > maxConfigDepth) {
    throw new ConfigError("too-deep", cannot("read", at(path), `it nests deeper than ${maxConfigDepth} levels`), {
      path,
    });
  }
  if (json === null || json === undefined) return null;
  // A string is a function name when it is the value itself or an item of a list of names
  // (`metrics: ["mae"]`); inside a plain object it is data (`padding: "valid"`).
  if (typeof json === "string") return asName ? lookupFunction(state, json, kind, path) : json;
  if (typeof json !== "object") return json;
  if (state.ancestors.has(json)) {
    throw new ConfigError("cycle", cannot("read", at(path), "the object contains itself"), { path });
  }
  state.ancestors.add(json);
  try {
    if (Array.isArray(json)) {
      return json.map((item, i) => deserializeValue(state, item, kind, `${path}[${i}]`, depth + 1, asName));
    }
    if (!isJsonObject(json)) {
      throw new ConfigError("invalid-config", cannot("read", at(path), "expected JSON data"), { path });
    }
    const className = json["class_name"];
    if (className === undefined) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(json)) {
        out[key] = deserializeValue(state, item, undefined, join(path, key), depth + 1, false);
      }
      return out;
    }
    if (typeof className !== "string") {
      throw new ConfigError(
        "invalid-config",
        cannot("read", at(path), `expected "class_name" to be a string, got ${typeName(className)}`),
        { path },
      );
    }
    if (className === "__tuple__") {
      const items = json["items"];
      if (!Array.isArray(items)) {
        throw new ConfigError("invalid-config", cannot("read", at(path), 'a "__tuple__" needs an "items" array'), {
          path,
        });
      }
      return items.map((item, i) =>
        deserializeValue(state, item, kind, `${join(path, "items")}[${i}]`, depth + 1, false),
      );
    }
    if (className === "function") {
      const name = json["config"];
      if (typeof name !== "string") {
        throw new ConfigError(
          "invalid-config",
          cannot("read", at(path), `a function reference needs a string "config", got ${typeName(name)}`),
          { path },
        );
      }
      return lookupFunction(state, name, kind, path);
    }
    return instantiate(state, json, className, kind, path);
  } finally {
    state.ancestors.delete(json);
  }
}

function instantiate(
  state: DeserializeState,
  json: JsonObject,
  className: string,
  kind: ObjectKind | undefined,
  path: string,
): unknown {
  const sharedId = json["shared_object_id"];
  if (typeof sharedId === "number" && state.sharedObjects.has(sharedId)) return state.sharedObjects.get(sharedId);
  const registered = json["registered_name"];
  const module = json["module"];
  const names = typeof registered === "string" && registered !== className ? [registered, className] : [className];
  const entry = state.registry.lookup(names, {
    kind,
    ...(typeof module === "string" || module === null ? { module } : {}),
  });
  const shownName = typeof registered === "string" ? registered : className;
  if (entry === undefined) {
    throw new ConfigError("unknown-name", unknownNameMessage(kind, "class", shownName), { path });
  }
  const config = json["config"] ?? {};
  if (!isJsonObject(config)) {
    throw new ConfigError(
      "invalid-config",
      cannot(
        "read",
        `${kindLabel(kind)} "${shownName}" at ${at(path)}`,
        `expected "config" to be an object, got ${typeName(config)}`,
      ),
      { path: join(path, "config") },
    );
  }
  const cls = entry.value as unknown as ConfigurableClass;
  let instance: unknown;
  try {
    instance =
      typeof cls.fromConfig === "function"
        ? cls.fromConfig(config, { registry: state.registry, sharedObjects: state.sharedObjects })
        : new cls(config);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      "construct-failed",
      cannot(
        "make",
        `${kindLabel(kind)} "${shownName}" at ${at(path)}`,
        error instanceof Error ? error.message : String(error),
      ),
      { path, cause: error },
    );
  }
  if (typeof sharedId === "number") state.sharedObjects.set(sharedId, instance);
  const build = json["build_config"];
  if (isJsonObject(build)) callIfPresent(instance, "buildFromConfig", build);
  const compile = json["compile_config"];
  if (isJsonObject(compile) && Object.keys(compile).length > 0) callIfPresent(instance, "compileFromConfig", compile);
  return instance;
}

function lookupFunction(
  state: DeserializeState,
  name: string,
  kind: ObjectKind | undefined,
  path: string,
): RegistrableValue {
  const value = state.registry.get(name, { kind });
  if (value === undefined) throw new ConfigError("unknown-name", unknownNameMessage(kind, "function", name), { path });
  return value;
}

function callIfPresent(instance: unknown, method: string, arg: JsonObject): void {
  const fn = (instance as Record<string, unknown> | null)?.[method];
  if (typeof fn === "function") fn.call(instance, arg);
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** A value's JSON type, for messages. */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
