import type { JsonObject, JsonValue } from "@kerastore/core";
import { type Activation, getActivation, serializeActivation } from "./activations.js";
import { type Constraint, getConstraint, serializeConstraint } from "./constraints.js";
import { type Initializer, getInitializer, serializeInitializer } from "./initializers.js";
import type { FromConfigContext } from "./keras-object.js";
import { type Regularizer, getRegularizer, serializeRegularizer } from "./regularizers.js";

/** How a field's value reads from and writes to Keras config JSON. */
export type FieldCodec = "plain" | "activation" | "initializer" | "regularizer" | "constraint" | "tuple";

/**
 * One constructor option of a layer and its Keras config key: the single declaration of the
 * mapping, used by the constructor (defaults), `getConfig` and `fromConfig`.
 */
export interface ConfigField {
  /** The Keras config key (`use_bias`). */
  readonly key: string;
  /** The option and property name (`useBias`). */
  readonly prop: string;
  readonly codec: FieldCodec;
  /** The value when the option is absent (in option form: `"glorot_uniform"`, `true`). */
  readonly fallback: unknown;
}

/** Declares a field. */
export function field(key: string, prop: string, fallback: unknown = null, codec: FieldCodec = "plain"): ConfigField {
  return { key, prop, fallback, codec };
}

/** Turns an option value (or config value, with `ctx`) into the property value. */
export function decodeField(f: ConfigField, value: unknown, ctx: FromConfigContext): unknown {
  const v = value === undefined ? f.fallback : value;
  switch (f.codec) {
    case "activation":
      return getActivation(v as JsonValue, ctx);
    case "initializer":
      return getInitializer(v as JsonValue, typeof f.fallback === "string" ? f.fallback : "Zeros", ctx);
    case "regularizer":
      return getRegularizer(v as JsonValue, ctx);
    case "constraint":
      return getConstraint(v as JsonValue, ctx);
    case "tuple":
      return Array.isArray(v) ? [...(v as unknown[])] : typeof v === "number" ? [v] : v;
    default:
      return v;
  }
}

/** Turns a property value into its Keras config value. */
export function encodeField(f: ConfigField, value: unknown): JsonValue {
  switch (f.codec) {
    case "activation":
      return serializeActivation(value as Activation);
    case "initializer":
      return serializeInitializer(value as Initializer);
    case "regularizer":
      return serializeRegularizer(value as Regularizer | null);
    case "constraint":
      return serializeConstraint(value as Constraint | null);
    default:
      return (value ?? null) as JsonValue;
  }
}

/** Options from a Keras config: each declared key read into its property, decoded. */
export function optionsFromConfig(
  fields: readonly ConfigField[],
  config: JsonObject,
  ctx: FromConfigContext,
): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const f of fields) {
    if (config[f.key] !== undefined) options[f.prop] = decodeField(f, config[f.key], ctx);
  }
  return options;
}
