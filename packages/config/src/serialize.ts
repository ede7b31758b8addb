import { type JsonObject, type JsonValue, cannot } from "@kerastore/core";
import { type Registry, defaultRegistry } from "@kerastore/registry";
import { ConfigError, maxConfigDepth } from "./errors.js";
import type { Dialect } from "./keras-json.js";

/** An object Keras can write: it gives its snake_case config (which may hold further such objects). */
export interface KerasSerializable {
  /** The Keras config: snake_case keys; values are JSON or further serializable objects or functions. */
  getConfig(): Readonly<Record<string, unknown>>;
  /** Keras 3 `build_config` (`{"input_shape": [...]}`), or nothing when never built. */
  getBuildConfig?(): Readonly<Record<string, unknown>> | null | undefined;
  /** Keras 3 `compile_config`, or nothing. */
  getCompileConfig?(): Readonly<Record<string, unknown>> | null | undefined;
}

/** Options of `serialize`. */
export interface SerializeOptions {
  /** Where classes and functions find their names. Defaults to `defaultRegistry`. */
  readonly registry?: Registry;
  /** Which Keras to write for. Defaults to `keras3`. */
  readonly dialect?: Dialect;
}

/** The frozen defaults `serialize` merges its options with. */
export const serializeDefaults = Object.freeze({ dialect: "keras3" as Dialect });

/** True for values with a `getConfig` method. */
export function isKerasSerializable(value: unknown): value is KerasSerializable {
  return (
    typeof value === "object" && value !== null && typeof (value as { getConfig?: unknown }).getConfig === "function"
  );
}

/**
 * Writes `value` as Keras JSON: objects with `getConfig()` become envelopes, registered
 * functions become function references, arrays and plain objects are walked.
 *
 * Keras 3: `{module, class_name, config, registered_name[, build_config][, compile_config]}` and
 * functions as `{"module": "builtins", "class_name": "function", "config": name,
 * "registered_name": "function"}` (what Keras 3.15 writes). Keras 2: `{class_name, config}` with
 * `class_name` the registered name (`package>Name` for custom classes) and functions as their
 * registered name.
 */
export function serialize(value: unknown, options: SerializeOptions = {}): JsonValue {
  const state: SerializeState = {
    registry: options.registry ?? defaultRegistry,
    dialect: options.dialect ?? serializeDefaults.dialect,
    ancestors: new Set(),
  };
  return serializeValue(state, value, "", 0);
}

interface SerializeState {
  readonly registry: Registry;
  readonly dialect: Dialect;
  readonly ancestors: Set<object>;
}

function serializeValue(state: SerializeState, value: unknown, path: string, depth: number): JsonValue {
  if (depth > maxConfigDepth) {
    throw new ConfigError("too-deep", cannot("serialize", at(path), `it nests deeper than ${maxConfigDepth} levels`), {
      path,
    });
  }
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return value;
    case "bigint":
      return Number(value);
    case "function":
      return serializeFunction(state, value as (...args: never[]) => unknown, path);
    case "object":
      break;
    default:
      throw new ConfigError("not-serializable", cannot("serialize", at(path), `a ${typeof value} has no Keras form`), {
        path,
      });
  }
  const object = value as object;
  if (state.ancestors.has(object)) {
    throw new ConfigError("cycle", cannot("serialize", at(path), "the object contains itself"), { path });
  }
  state.ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item, i) => serializeValue(state, item, `${path}[${i}]`, depth + 1));
    if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
      return Array.from(object as unknown as ArrayLike<number | bigint>, (x) =>
        typeof x === "bigint" ? Number(x) : x,
      );
    }
    if (isKerasSerializable(object)) return serializeObject(state, object, path, depth);
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      throw new ConfigError(
        "not-serializable",
        cannot(
          "serialize",
          at(path),
          `${object.constructor?.name ?? "the object"} has no getConfig()`,
          "give the class a getConfig() method",
        ),
        { path },
      );
    }
    return serializeRecord(state, object as Record<string, unknown>, path, depth);
  } finally {
    state.ancestors.delete(object);
  }
}

function serializeRecord(
  state: SerializeState,
  record: Readonly<Record<string, unknown>>,
  path: string,
  depth: number,
): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(record)) {
    if (item === undefined) continue;
    out[key] = serializeValue(state, item, path === "" ? key : `${path}.${key}`, depth + 1);
  }
  return out;
}

function serializeObject(state: SerializeState, object: KerasSerializable, path: string, depth: number): JsonObject {
  const cls = object.constructor;
  const entry = state.registry.entryOf(cls);
  const className = entry?.className ?? cls.name;
  const registeredName = entry === undefined ? className : entry.registeredName;
  const config = serializeRecord(state, object.getConfig(), path === "" ? "config" : `${path}.config`, depth + 1);
  if (state.dialect === "keras2") {
    return { class_name: registeredName ?? className, config };
  }
  const out: JsonObject = {
    module: entry?.module ?? null,
    class_name: className,
    config,
    registered_name: registeredName,
  };
  const build = object.getBuildConfig?.();
  if (build !== null && build !== undefined)
    out["build_config"] = serializeRecord(state, build, `${path}.build_config`, depth + 1);
  const compile = object.getCompileConfig?.();
  if (compile !== null && compile !== undefined) {
    out["compile_config"] = serializeRecord(state, compile, `${path}.compile_config`, depth + 1);
  }
  return out;
}

function serializeFunction(state: SerializeState, fn: (...args: never[]) => unknown, path: string): JsonValue {
  const entry = state.registry.entryOf(fn);
  if (entry === undefined) {
    const name = fn.name === "" ? "an anonymous function" : `function "${fn.name}"`;
    throw new ConfigError(
      "not-serializable",
      cannot("serialize", `${name} at ${at(path)}`, "it is in no registry", "register it with registerSerializable"),
      { path },
    );
  }
  const name = entry.registeredName ?? entry.name;
  if (state.dialect === "keras2") return name;
  return { module: "builtins", class_name: "function", config: name, registered_name: "function" };
}

/** How a place in a config reads in messages. */
export function at(path: string): string {
  return path === "" ? "the value" : path;
}
