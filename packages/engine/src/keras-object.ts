import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { type Registry, defaultRegistry } from "@kerastore/registry";
import { EngineError } from "./errors.js";

/**
 * Objects the user supplies by name for configs to refer to: custom layer classes, activation
 * functions, initializers, regularizers, constraints, keyed by their Keras name.
 */
export type CustomObjects = Readonly<Record<string, unknown>>;

/** The context every `fromConfig` takes. */
export interface FromConfigContext {
  /** Custom classes and functions by name; looked up before the built-ins. */
  readonly customObjects?: CustomObjects | undefined;
  /**
   * The major version of the Keras that wrote the config (2 or 3, default 3). Keras changed
   * some definitions (`hard_sigmoid`); a model computes what its writer computed.
   */
  readonly kerasVersion?: 2 | 3 | undefined;
  /**
   * Where classes and functions registered with `registerSerializable` are found, after
   * `customObjects`. Default: `defaultRegistry` (what `registerSerializable` fills by default).
   */
  readonly registry?: Registry | undefined;
}

/** A Keras object as a config names it: class, config, and the module Keras 3 records. */
export interface KerasObjectRef {
  readonly className: string;
  readonly config: JsonObject;
  readonly module: string | null;
  readonly registeredName: string | null;
}

/** Keras 3's envelope `{module, class_name, config, registered_name}`. */
export function envelope(
  module: string | null,
  className: string,
  config: JsonObject,
  registeredName: string | null = null,
): JsonObject {
  return { module, class_name: className, config, registered_name: registeredName };
}

/** Reads a `{class_name, config}` envelope of either dialect. */
export function readEnvelope(json: JsonValue | undefined, where: string): KerasObjectRef {
  if (!isJsonObject(json) || typeof json.class_name !== "string") {
    throw new EngineError(
      "invalid-config",
      cannot("read", where, `expected {"class_name": ..., "config": {...}}, got ${preview(json)}`),
    );
  }
  // Keras 2.0 wrote a Sequential's config as the bare list of its layers.
  const config = Array.isArray(json.config) ? { layers: json.config } : (json.config ?? {});
  if (!isJsonObject(config)) {
    throw new EngineError("invalid-config", cannot("read", where, `"config" of ${json.class_name} is not an object`));
  }
  return {
    className: json.class_name,
    config,
    module: typeof json.module === "string" ? json.module : null,
    registeredName: typeof json.registered_name === "string" ? json.registered_name : null,
  };
}

/** A short text of a JSON value for messages. */
export function preview(value: JsonValue | undefined): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The Keras major version from a version string (`"2.15.0"` -> 2); 3 when unknown. */
export function kerasMajor(version: string | undefined): 2 | 3 {
  return version !== undefined && /^[12]\./.test(version) ? 2 : 3;
}

/** Reads a number field, with a default. */
export function numberField(config: JsonObject, key: string, fallback: number): number {
  const v = config[key];
  return typeof v === "number" ? v : fallback;
}

/** Reads a number-or-null field. */
export function optionalNumber(config: JsonObject, key: string): number | null {
  const v = config[key];
  return typeof v === "number" ? v : null;
}

/** Finds a user-supplied object by name (also by the `package>Name` registered name). */
export function lookupCustom(ctx: FromConfigContext, ...names: (string | null)[]): unknown {
  // One precedence, documented in docs/registry.md: the objects passed to this load (and open
  // customObjectScopes, merged into them), then the registry (registerSerializable), then the
  // built-ins (the caller's fallback).
  const objects = ctx.customObjects;
  if (objects !== undefined) {
    for (const name of names) {
      if (name !== null && Object.hasOwn(objects, name)) return objects[name];
    }
  }
  const wanted = names.filter((n): n is string => n !== null);
  if (wanted.length === 0) return undefined;
  return (ctx.registry ?? defaultRegistry).lookup(wanted)?.value;
}

/**
 * The names Keras 3 writes for a custom class or function: its registered name
 * (`package>Name`) when `registerSerializable` filed it, else its own name.
 */
export function registeredNameOf(value: unknown, fallback: string, registry: Registry = defaultRegistry): string {
  return registry.nameOf(value) ?? fallback;
}

/** True for a class constructor (which cannot be called as a function). */
function isClassConstructor(value: unknown): boolean {
  return typeof value === "function" && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/**
 * Finds a user-supplied function (activation, initializer, regularizer, constraint factory) by
 * name. A class found under the name (a layer or model class) is refused: only functions go
 * where functions go.
 */
export function lookupCustomFunction(
  ctx: FromConfigContext,
  kind: string,
  ...names: (string | null)[]
): ((...args: never[]) => unknown) | undefined {
  const custom = lookupCustom(ctx, ...names);
  if (typeof custom !== "function") return undefined;
  if (isClassConstructor(custom)) {
    const name = names.find((n) => n !== null) ?? "?";
    throw new EngineError(
      "invalid-config",
      cannot(
        "deserialize",
        `${kind} "${name}"`,
        `the name finds the class ${(custom as { name: string }).name} where a ${kind} function goes`,
      ),
    );
  }
  return custom as (...args: never[]) => unknown;
}

// The modules Keras records for its own classes: `keras.layers`, `keras.src.models.functional`,
// tf.keras 2's `keras.layers` and tf_keras's.
const KERAS_MODULE = /^(keras|tf_keras|tensorflow\.keras|tensorflow\.python\.keras)(\.|$)/;

/**
 * Checks that a config naming a built-in class names it as Keras does: its `module` a Keras
 * module and its `registered_name` none or the class name. A config naming `evil_pkg>Dense`
 * asks for another package's class, which Kerastore does not have: it fails, never silently
 * building Keras's.
 */
export function checkBuiltinOrigin(
  ref: Pick<KerasObjectRef, "className" | "module" | "registeredName">,
  kind: string,
): void {
  const foreignModule = ref.module !== null && !KERAS_MODULE.test(ref.module);
  const foreignName = ref.registeredName !== null && ref.registeredName !== ref.className;
  if (!foreignModule && !foreignName) return;
  const asked = ref.registeredName ?? `${ref.module}.${ref.className}`;
  throw new EngineError(
    "unknown-object",
    cannot(
      "deserialize",
      `${kind} "${asked}"`,
      `the config names ${ref.className} from ${foreignModule ? `module "${ref.module}"` : `registered name "${ref.registeredName}"`}, not Keras's own, and no such class was given`,
      `pass the class in customObjects under "${asked}" (or register it with registerSerializable)`,
    ),
  );
}
