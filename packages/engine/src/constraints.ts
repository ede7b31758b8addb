import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "./errors.js";
import {
  type FromConfigContext,
  checkBuiltinOrigin,
  envelope,
  lookupCustomFunction,
  numberField,
  readEnvelope,
} from "./keras-object.js";

/** A projection applied to a variable after each update. Its config is kept in Keras spelling. */
export class Constraint {
  constructor(
    readonly className: string,
    readonly config: JsonObject,
    private readonly project: (w: tf.Tensor, config: JsonObject) => tf.Tensor,
  ) {}

  apply(w: tf.Tensor): tf.Tensor {
    return this.project(w, this.config);
  }

  getConfig(): JsonObject {
    return { ...this.config };
  }
}

const EPS = 1e-7;
const axisOf = (c: JsonObject): number | number[] =>
  Array.isArray(c.axis) ? (c.axis as number[]) : typeof c.axis === "number" ? c.axis : 0;
const norms = (w: tf.Tensor, c: JsonObject): tf.Tensor => tf.sqrt(tf.sum(tf.square(w), axisOf(c), true));

const BUILTINS: Record<string, { defaults: JsonObject; project: (w: tf.Tensor, c: JsonObject) => tf.Tensor }> = {
  MaxNorm: {
    defaults: { max_value: 2, axis: 0 },
    project: (w, c) =>
      tf.tidy(() => {
        const n = norms(w, c);
        const desired = tf.clipByValue(n, 0, numberField(c, "max_value", 2));
        return tf.mul(w, tf.div(desired, tf.add(n, EPS)));
      }),
  },
  NonNeg: { defaults: {}, project: (w) => tf.mul(w, tf.cast(tf.greaterEqual(w, 0), w.dtype)) },
  UnitNorm: { defaults: { axis: 0 }, project: (w, c) => tf.tidy(() => tf.div(w, tf.add(norms(w, c), EPS))) },
  MinMaxNorm: {
    defaults: { min_value: 0, max_value: 1, rate: 1, axis: 0 },
    project: (w, c) =>
      tf.tidy(() => {
        const n = norms(w, c);
        const rate = numberField(c, "rate", 1);
        const clipped = tf.clipByValue(n, numberField(c, "min_value", 0), numberField(c, "max_value", 1));
        const desired = tf.add(tf.mul(rate, clipped), tf.mul(1 - rate, n));
        return tf.mul(w, tf.div(desired, tf.add(n, EPS)));
      }),
  },
};

const ALIASES: Record<string, string> = {
  max_norm: "MaxNorm",
  maxnorm: "MaxNorm",
  non_neg: "NonNeg",
  nonneg: "NonNeg",
  unit_norm: "UnitNorm",
  unitnorm: "UnitNorm",
  min_max_norm: "MinMaxNorm",
};

/** The names of every built-in constraint class. */
export const constraintNames: readonly string[] = Object.freeze(Object.keys(BUILTINS));

/** Makes a built-in constraint (`constraint("MaxNorm", {max_value: 2})`). */
export function constraint(className: string, config: JsonObject = {}): Constraint {
  const name = ALIASES[className] ?? className;
  const spec = BUILTINS[name];
  if (spec === undefined) {
    throw new EngineError(
      "unknown-object",
      cannot("find", `constraint "${className}"`, "it is not a Keras constraint", "pass it in customObjects"),
    );
  }
  const merged: JsonObject = { ...spec.defaults };
  for (const key of Object.keys(config)) if (key in spec.defaults) merged[key] = config[key] as JsonValue;
  return new Constraint(name, merged, spec.project);
}

export type ConstraintLike = string | Constraint;

/** Resolves a constraint option or config value; null when none. */
export function getConstraint(
  id: ConstraintLike | JsonValue | undefined,
  ctx: FromConfigContext = {},
): Constraint | null {
  if (id === undefined || id === null) return null;
  if (id instanceof Constraint) return id;
  if (typeof id === "string") return constraint(id);
  if (isJsonObject(id)) {
    const ref = readEnvelope(id, "a constraint");
    const custom = lookupCustomFunction(ctx, "constraint", ref.registeredName, ref.className);
    if (custom !== undefined) return (custom as (c: JsonObject) => Constraint)(ref.config);
    checkBuiltinOrigin(ref, "constraint");
    return constraint(ref.className, ref.config);
  }
  throw new EngineError(
    "invalid-config",
    cannot("read", "a constraint", `expected a name or config, got ${JSON.stringify(id)}`),
  );
}

/** The Keras 3 config value of a constraint (null for none). */
export function serializeConstraint(c: Constraint | null): JsonValue {
  return c === null ? null : envelope("keras.constraints", c.className, c.getConfig());
}
