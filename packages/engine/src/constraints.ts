import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { Registry } from "@kerastore/registry";
import {
  type FromConfigContext,
  kindEnvelope,
  makeObject,
  numberField,
  objectFromEnvelope,
  readEnvelope,
} from "./keras-object.js";
import { builtinObject, resolveObject, unknownObjectError } from "./resolve-object.js";

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

const names: string[] = [];

/** The names of every built-in constraint class (filled by `installBuiltins()`, which the engine's entry point runs). */
export const constraintNames: readonly string[] = names;

/**
 * Registers the built-in constraints into `registry` (from `installBuiltins()`): each class as a
 * factory `(config) => Constraint` under its Keras class name and aliases, kind `constraint`.
 */
export function installConstraints(registry: Registry): void {
  const add = (
    className: string,
    defaults: JsonObject,
    project: (w: tf.Tensor, c: JsonObject) => tf.Tensor,
    aliases: readonly string[],
  ): void => {
    const factory = (config: JsonObject = {}): Constraint => {
      const merged: JsonObject = { ...defaults };
      for (const key of Object.keys(config)) if (key in defaults) merged[key] = config[key] as JsonValue;
      return new Constraint(className, merged, project);
    };
    for (const name of [className, ...aliases]) {
      registry.register(name, factory, { kind: "constraint", module: "keras.constraints", className });
    }
    if (!names.includes(className)) names.push(className);
  };
  add(
    "MaxNorm",
    { max_value: 2, axis: 0 },
    (w, c) =>
      tf.tidy(() => {
        const n = norms(w, c);
        const desired = tf.clipByValue(n, 0, numberField(c, "max_value", 2));
        return tf.mul(w, tf.div(desired, tf.add(n, EPS)));
      }),
    ["max_norm", "maxnorm"],
  );
  add("NonNeg", {}, (w) => tf.mul(w, tf.cast(tf.greaterEqual(w, 0), w.dtype)), ["non_neg", "nonneg"]);
  add("UnitNorm", { axis: 0 }, (w, c) => tf.tidy(() => tf.div(w, tf.add(norms(w, c), EPS))), ["unit_norm", "unitnorm"]);
  add(
    "MinMaxNorm",
    { min_value: 0, max_value: 1, rate: 1, axis: 0 },
    (w, c) =>
      tf.tidy(() => {
        const n = norms(w, c);
        const rate = numberField(c, "rate", 1);
        const clipped = tf.clipByValue(n, numberField(c, "min_value", 0), numberField(c, "max_value", 1));
        const desired = tf.add(tf.mul(rate, clipped), tf.mul(1 - rate, n));
        return tf.mul(w, tf.div(desired, tf.add(n, EPS)));
      }),
    ["min_max_norm"],
  );
}

const isConstraint = (value: unknown): value is Constraint => value instanceof Constraint;

/** Makes a built-in constraint from its class name (or alias) and Keras config. */
export function constraint(className: string, config: JsonObject = {}): Constraint {
  const make = builtinObject<(c: JsonObject) => Constraint>("constraint", className);
  if (make === undefined) throw unknownObjectError("constraint", className);
  return make(config);
}

export type ConstraintLike = string | Constraint;

/** Resolves a constraint option or config value through the one registry order; null when none. */
export function getConstraint(
  id: ConstraintLike | JsonValue | undefined,
  ctx: FromConfigContext = {},
): Constraint | null {
  if (id === undefined || id === null) return null;
  if (id instanceof Constraint) return id;
  if (typeof id === "string") {
    const found = resolveObject("constraint", [id], ctx);
    if (found === undefined) throw unknownObjectError("constraint", id);
    return makeObject("constraint", found.value, found.name, {}, isConstraint);
  }
  if (isJsonObject(id)) return objectFromEnvelope("constraint", readEnvelope(id, "a constraint"), ctx, isConstraint);
  throw new EngineError(
    "invalid-config",
    cannot("read", "a constraint", `expected a name or config, got ${JSON.stringify(id)}`),
  );
}

/** The Keras 3 config value of a constraint (null for none). */
export function serializeConstraint(c: Constraint | null): JsonValue {
  return c === null ? null : kindEnvelope("constraint", "keras.constraints", c, c.getConfig(), Constraint);
}
