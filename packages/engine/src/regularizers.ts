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

/** A weight penalty: a scalar added to the loss. Its config is kept in Keras spelling. */
export class Regularizer {
  constructor(
    readonly className: string,
    readonly config: JsonObject,
    private readonly penalty: (x: tf.Tensor, config: JsonObject) => tf.Scalar,
  ) {}

  /** The penalty of a tensor. */
  apply(x: tf.Tensor): tf.Scalar {
    return this.penalty(x, this.config);
  }

  getConfig(): JsonObject {
    return { ...this.config };
  }
}

const l1 = (x: tf.Tensor, f: number): tf.Scalar => tf.mul(f, tf.sum(tf.abs(x))) as tf.Scalar;
const l2 = (x: tf.Tensor, f: number): tf.Scalar => tf.mul(f, tf.sum(tf.square(x))) as tf.Scalar;

const names: string[] = [];

/** The names of every built-in regularizer class (filled by `installBuiltins()`, which the engine's entry point runs). */
export const regularizerNames: readonly string[] = names;

/**
 * Registers the built-in regularizers into `registry` (from `installBuiltins()`): each class as a
 * factory `(config) => Regularizer` under its Keras class name and aliases, kind `regularizer`.
 */
export function installRegularizers(registry: Registry): void {
  const add = (
    className: string,
    defaults: JsonObject,
    penalty: (x: tf.Tensor, c: JsonObject) => tf.Scalar,
    aliases: readonly string[],
  ): void => {
    const factory = (config: JsonObject = {}): Regularizer => {
      const merged: JsonObject = { ...defaults };
      for (const key of Object.keys(config)) if (key in defaults) merged[key] = config[key] as JsonValue;
      return new Regularizer(className, merged, penalty);
    };
    for (const name of [className, ...aliases]) {
      registry.register(name, factory, { kind: "regularizer", module: "keras.regularizers", className });
    }
    if (!names.includes(className)) names.push(className);
  };
  add("L1", { l1: 0.01 }, (x, c) => l1(x, numberField(c, "l1", 0.01)), ["l1"]);
  add("L2", { l2: 0.01 }, (x, c) => l2(x, numberField(c, "l2", 0.01)), ["l2"]);
  add(
    "L1L2",
    { l1: 0, l2: 0 },
    (x, c) => tf.add(l1(x, numberField(c, "l1", 0)), l2(x, numberField(c, "l2", 0))) as tf.Scalar,
    ["l1_l2"],
  );
  add(
    "OrthogonalRegularizer",
    { factor: 0.01, mode: "rows" },
    (x, c) =>
      tf.tidy(() => {
        const m = c.mode === "columns" ? tf.transpose(x as tf.Tensor2D) : (x as tf.Tensor2D);
        const n = tf.div(m, tf.norm(m, "euclidean", 1, true)) as tf.Tensor2D;
        const size = n.shape[0];
        const product = tf.matMul(n, tf.transpose(n));
        const off = tf.sub(product, tf.eye(size));
        return tf.mul(numberField(c, "factor", 0.01), tf.div(tf.sum(tf.abs(off)), size * (size - 1))) as tf.Scalar;
      }),
    ["orthogonal_regularizer"],
  );
}

const isRegularizer = (value: unknown): value is Regularizer => value instanceof Regularizer;

/** Makes a built-in regularizer from its class name (or alias) and Keras config. */
export function regularizer(className: string, config: JsonObject = {}): Regularizer {
  const make = builtinObject<(c: JsonObject) => Regularizer>("regularizer", className);
  if (make === undefined) throw unknownObjectError("regularizer", className);
  return make(config);
}

export type RegularizerLike = string | Regularizer;

/** Resolves a regularizer option or config value through the one registry order; null when none. */
export function getRegularizer(
  id: RegularizerLike | JsonValue | undefined,
  ctx: FromConfigContext = {},
): Regularizer | null {
  if (id === undefined || id === null) return null;
  if (id instanceof Regularizer) return id;
  if (typeof id === "string") {
    const found = resolveObject("regularizer", [id], ctx);
    if (found === undefined) throw unknownObjectError("regularizer", id);
    return makeObject("regularizer", found.value, found.name, {}, isRegularizer);
  }
  if (isJsonObject(id)) return objectFromEnvelope("regularizer", readEnvelope(id, "a regularizer"), ctx, isRegularizer);
  throw new EngineError(
    "invalid-config",
    cannot("read", "a regularizer", `expected a name or config, got ${JSON.stringify(id)}`),
  );
}

/** The Keras 3 config value of a regularizer (null for none). */
export function serializeRegularizer(r: Regularizer | null): JsonValue {
  return r === null ? null : kindEnvelope("regularizer", "keras.regularizers", r, r.getConfig(), Regularizer);
}
