import { cannot } from "@kerastore/core";
import { RegistryError } from "./errors.js";
import type { ObjectKind } from "./kinds.js";
import { type RegistrableValue, type Registry, type RegistryEntry, defaultRegistry } from "./registry.js";

/** How `registerSerializable` files a custom class or function. */
export interface RegisterSerializableOptions {
  /** The package half of the key `package>Name`. Defaults to `"Custom"`, as in Keras. */
  readonly package?: string;
  /** The name half of the key. Defaults to the class's or function's own `name`. */
  readonly name?: string;
  /** Where to register. Defaults to `defaultRegistry`. */
  readonly registry?: Registry;
  /** What sort of object it is; leave out to answer lookups of every kind. */
  readonly kind?: ObjectKind;
  /**
   * The Keras 3 `module` written when serializing it. Defaults to `null`, which is what Keras
   * writes for a class defined in a script.
   */
  readonly module?: string | null;
}

/** The frozen defaults `registerSerializable` merges its options with. */
export const registerSerializableDefaults = Object.freeze({ package: "Custom", module: null });

/** A decorator made by `registerSerializable(options)`: works as a TC39 or a legacy class decorator. */
export type SerializableDecorator = <T extends RegistrableValue>(value: T, context?: unknown) => T;

/**
 * Registers a custom class or function under the Keras key `package>Name` and returns it.
 *
 * Called with a class or function it registers at once; called with only options it returns a
 * decorator (`@registerSerializable({ package: "MyPkg" }) class MyLayer ...`). Names come from
 * `value.name` unless `name` is given: pass `name` when a minifier may rename your classes.
 */
export function registerSerializable<T extends RegistrableValue>(value: T, options?: RegisterSerializableOptions): T;
export function registerSerializable(options?: RegisterSerializableOptions): SerializableDecorator;
export function registerSerializable(
  valueOrOptions?: RegistrableValue | RegisterSerializableOptions,
  maybeOptions?: RegisterSerializableOptions,
): RegistrableValue | SerializableDecorator {
  if (typeof valueOrOptions === "function") {
    registerSerializableEntry(valueOrOptions, maybeOptions ?? {});
    return valueOrOptions;
  }
  const options = valueOrOptions ?? {};
  return <T extends RegistrableValue>(value: T): T => {
    registerSerializableEntry(value, options);
    return value;
  };
}

/** Like `registerSerializable`, but returns the entry it made. */
export function registerSerializableEntry(
  value: RegistrableValue,
  options: RegisterSerializableOptions = {},
): RegistryEntry {
  const pkg = options.package ?? registerSerializableDefaults.package;
  const name = options.name ?? value.name;
  if (typeof pkg !== "string" || pkg.length === 0 || pkg.includes(">")) {
    throw new RegistryError(
      "invalid-name",
      cannot("register", `"${name}"`, `the package ${JSON.stringify(pkg)} is empty or contains ">"`),
    );
  }
  if (typeof name !== "string" || name.length === 0) {
    throw new RegistryError(
      "invalid-name",
      cannot("register", "an anonymous class or function", "it has no name", "pass { name } in the options"),
    );
  }
  const key = `${pkg}>${name}`;
  const registry = options.registry ?? defaultRegistry;
  return registry.register(key, value, {
    module: options.module ?? registerSerializableDefaults.module,
    registeredName: key,
    className: value.name !== "" ? value.name : name,
    ...(options.kind === undefined ? {} : { kind: options.kind }),
  });
}
