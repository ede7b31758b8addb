import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { type ObjectKind, type Registry, defaultRegistry, kindLabel } from "@kerastore/registry";
import { EngineError } from "./errors.js";
import { builtinObject, resolveObject, unknownObjectError } from "./resolve-object.js";

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

/**
 * The envelope of an object of `kind`: Keras's `{module, class_name, config, registered_name: null}`
 * for a built-in (its class name is a built-in of the kind and it is an instance of the kind's
 * own class, `base`); for a custom one, no module and its registered name (`MyPkg>MyInit` when
 * its class was registered with `registerSerializable`, else its class name), as Keras writes a
 * custom object, so the load finds it in customObjects or the registry again.
 */
export function kindEnvelope(
  kind: ObjectKind,
  module: string,
  value: { readonly className: string; readonly constructor: unknown },
  config: JsonObject,
  base: unknown,
  registry: Registry = defaultRegistry,
): JsonObject {
  const className = value.className;
  if (value.constructor === base && builtinObject(kind, className) !== undefined)
    return envelope(module, className, config);
  return envelope(null, className, config, registry.nameOf(value.constructor) ?? className);
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
 * The function found under a name where a function goes (an activation, a loss, a factory of
 * initializers): a class found there (a layer class) is refused, as is anything not callable.
 */
export function checkedFunction(value: unknown, kind: ObjectKind, name: string): (...args: never[]) => unknown {
  if (typeof value === "function" && !isClassConstructor(value)) return value as (...args: never[]) => unknown;
  const what =
    typeof value === "function"
      ? `the class ${(value as { name: string }).name}`
      : `a ${value === null ? "null" : typeof value}`;
  throw new EngineError(
    "invalid-config",
    cannot(
      "deserialize",
      `${kindLabel(kind)} "${name}"`,
      `the name finds ${what} where a ${kindLabel(kind)} function goes`,
    ),
  );
}

/**
 * Makes an object of `kind` (initializer, regularizer, constraint, ...) from a config envelope:
 * the name resolves in the one order (`resolveObject`); an instance found is returned as is, a
 * class with a static `fromConfig` and a factory function are given the config.
 */
export function objectFromEnvelope<T>(
  kind: ObjectKind,
  ref: KerasObjectRef,
  ctx: FromConfigContext,
  isInstance: (value: unknown) => value is T,
): T {
  const found = resolveObject(kind, [ref.registeredName, ref.className], ctx);
  if (found === undefined) throw unknownObjectError(kind, ref.registeredName ?? ref.className);
  if (found.source === "builtin") checkBuiltinOrigin(ref, kindLabel(kind));
  return makeObject(kind, found.value, found.name, ref.config, isInstance);
}

/** The object a value found by name makes from `config` (see {@link objectFromEnvelope}). */
export function makeObject<T>(
  kind: ObjectKind,
  value: unknown,
  name: string,
  config: JsonObject,
  isInstance: (value: unknown) => value is T,
): T {
  if (isInstance(value)) return value;
  const fromConfig = classFromConfig(value, isInstance);
  if (fromConfig !== undefined) return fromConfig(config) as T;
  return (checkedFunction(value, kind, name) as (c: JsonObject) => T)(config);
}

/**
 * The static `fromConfig` of a class whose instances are of the asked kind (`isInstance` of its
 * prototype), bound to the class; undefined for anything else (a layer or model class found
 * where an initializer goes has a `fromConfig` too, and is refused by the caller).
 */
export function classFromConfig(
  value: unknown,
  isInstance: (value: unknown) => boolean,
): ((config: JsonObject) => unknown) | undefined {
  if (typeof value !== "function") return undefined;
  const fromConfig = (value as { fromConfig?: unknown }).fromConfig;
  if (typeof fromConfig !== "function" || !isInstance((value as { prototype?: unknown }).prototype)) return undefined;
  return (config) => (fromConfig as (c: JsonObject) => unknown).call(value, config);
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
