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
import { toSnakeCase } from "./names.js";

/**
 * An initializer: makes a variable's first value. Its config is kept in Keras spelling.
 *
 * Random initializers draw from tfjs's generators, so values differ from Python's even with a
 * seed; the distribution and config are Keras's.
 */
export class Initializer {
  constructor(
    /** The Keras class name (`GlorotUniform`). */
    readonly className: string,
    /** The Keras config (`{"seed": null}`). */
    readonly config: JsonObject,
    private readonly make: (shape: number[], dtype: tf.DataType, config: JsonObject) => tf.Tensor,
  ) {}

  /** A new tensor of this shape. */
  apply(shape: number[], dtype: tf.DataType = "float32"): tf.Tensor {
    calls++;
    return this.make(shape, dtype, this.config);
  }

  getConfig(): JsonObject {
    return { ...this.config };
  }
}

let calls = 0;

/** How many times initializers have run in this process (what loading must not spend time on). */
export function initializerCalls(): number {
  return calls;
}

type Maker = (shape: number[], dtype: tf.DataType, c: JsonObject) => tf.Tensor;

function fans(shape: number[]): [number, number] {
  if (shape.length < 1) return [1, 1];
  if (shape.length === 1) return [shape[0]!, shape[0]!];
  if (shape.length === 2) return [shape[0]!, shape[1]!];
  let receptive = 1;
  for (const d of shape.slice(0, -2)) receptive *= d;
  return [shape[shape.length - 2]! * receptive, shape[shape.length - 1]! * receptive];
}

const seedOf = (c: JsonObject): number | undefined => (typeof c.seed === "number" ? c.seed : undefined);

const varianceScaling: Maker = (shape, dtype, c) => {
  const [fanIn, fanOut] = fans(shape);
  const scale = numberField(c, "scale", 1);
  const mode = typeof c.mode === "string" ? c.mode : "fan_in";
  const denom = mode === "fan_in" ? fanIn : mode === "fan_out" ? fanOut : (fanIn + fanOut) / 2;
  const variance = scale / Math.max(1, denom);
  const distribution = typeof c.distribution === "string" ? c.distribution : "truncated_normal";
  if (distribution === "uniform") {
    const limit = Math.sqrt(3 * variance);
    return tf.randomUniform(shape, -limit, limit, dtype as "float32", seedOf(c));
  }
  if (distribution === "untruncated_normal")
    return tf.randomNormal(shape, 0, Math.sqrt(variance), dtype as "float32", seedOf(c));
  // Keras divides by the stddev of a unit normal truncated at 2 sigma.
  return tf.truncatedNormal(shape, 0, Math.sqrt(variance) / 0.8796256610342398, dtype as "float32", seedOf(c));
};

function scaled(scale: number, mode: string, distribution: string): Maker {
  return (shape, dtype, c) => varianceScaling(shape, dtype, { ...c, scale, mode, distribution });
}

const orthogonal: Maker = (shape, dtype, c) => {
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const cols = shape[shape.length - 1] ?? 1;
  const gain = numberField(c, "gain", 1);
  return tf.tidy(() => {
    const flat = tf.randomNormal([Math.max(rows, cols), Math.min(rows, cols)], 0, 1, "float32", seedOf(c));
    const [q] = tf.linalg.qr(flat) as [tf.Tensor2D, tf.Tensor2D];
    const m = rows < cols ? tf.transpose(q) : q;
    return tf.cast(tf.reshape(tf.mul(m, gain), shape), dtype);
  });
};

const AXES: JsonObject = { seed: null, input_axes: null, output_axes: null };
const names: string[] = [];

/** The names of every built-in initializer class (filled by `installBuiltins()`, which the engine's entry point runs). */
export const initializerNames: readonly string[] = names;

/**
 * Registers the built-in initializers into `registry` (from `installBuiltins()`): each class as
 * a factory `(config) => Initializer` under its Keras class name and the Keras 2 / string
 * aliases, kind `initializer`.
 */
export function installInitializers(registry: Registry): void {
  const add = (className: string, defaults: JsonObject, make: Maker, aliases: readonly string[]): void => {
    const factory = (config: JsonObject = {}): Initializer => {
      const merged: JsonObject = { ...defaults };
      // Keras 2 configs may carry keys Keras 3 dropped (dtype); keep only the known ones.
      for (const key of Object.keys(config)) if (key in defaults) merged[key] = config[key] as JsonValue;
      return new Initializer(className, merged, make);
    };
    for (const name of [className, ...aliases]) {
      registry.register(name, factory, { kind: "initializer", module: "keras.initializers", className });
    }
    if (!names.includes(className)) names.push(className);
  };
  add("Zeros", {}, (s, d) => tf.zeros(s, d), ["zeros", "zero"]);
  add("Ones", {}, (s, d) => tf.ones(s, d), ["ones", "one"]);
  add("Constant", { value: 0 }, (s, d, c) => tf.fill(s, numberField(c, "value", 0), d), ["constant"]);
  add(
    "RandomNormal",
    { seed: null, mean: 0, stddev: 0.05 },
    (s, d, c) =>
      tf.randomNormal(s, numberField(c, "mean", 0), numberField(c, "stddev", 0.05), d as "float32", seedOf(c)),
    ["random_normal"],
  );
  add(
    "RandomUniform",
    { seed: null, minval: -0.05, maxval: 0.05 },
    (s, d, c) => tf.randomUniform(s, numberField(c, "minval", -0.05), numberField(c, "maxval", 0.05), d, seedOf(c)),
    ["random_uniform"],
  );
  add(
    "TruncatedNormal",
    { seed: null, mean: 0, stddev: 0.05 },
    (s, d, c) =>
      tf.truncatedNormal(s, numberField(c, "mean", 0), numberField(c, "stddev", 0.05), d as "float32", seedOf(c)),
    ["truncated_normal"],
  );
  add(
    "VarianceScaling",
    { seed: null, scale: 1, mode: "fan_in", distribution: "truncated_normal", input_axes: null, output_axes: null },
    varianceScaling,
    ["variance_scaling"],
  );
  add("GlorotUniform", AXES, scaled(1, "fan_avg", "uniform"), ["glorot_uniform"]);
  add("GlorotNormal", AXES, scaled(1, "fan_avg", "truncated_normal"), ["glorot_normal"]);
  add("HeUniform", AXES, scaled(2, "fan_in", "uniform"), ["he_uniform"]);
  add("HeNormal", AXES, scaled(2, "fan_in", "truncated_normal"), ["he_normal"]);
  add("LecunUniform", AXES, scaled(1, "fan_in", "uniform"), ["lecun_uniform"]);
  add("LecunNormal", AXES, scaled(1, "fan_in", "truncated_normal"), ["lecun_normal"]);
  add("Orthogonal", { seed: null, gain: 1 }, orthogonal, ["orthogonal"]);
  add(
    "Identity",
    { gain: 1 },
    (s, d, c) => tf.mul(tf.eye(s[0] ?? 1, s[1] ?? s[0] ?? 1, undefined, d as "float32"), numberField(c, "gain", 1)),
    ["identity", "IdentityInitializer"],
  );
}

const isInitializer = (value: unknown): value is Initializer => value instanceof Initializer;

/** Makes a built-in initializer from its class name (or alias) and (partial) Keras config. */
export function initializer(className: string, config: JsonObject = {}): Initializer {
  const make = builtinObject<(c: JsonObject) => Initializer>("initializer", className);
  if (make === undefined) throw unknownObjectError("initializer", className);
  return make(config);
}

/** What an initializer option accepts: a name (`"zeros"`, `"GlorotUniform"`) or an instance. */
export type InitializerLike = string | Initializer;

/** Resolves an initializer option or config value, through the one registry order. */
export function getInitializer(
  id: InitializerLike | JsonValue | undefined,
  fallback: string,
  ctx: FromConfigContext = {},
): Initializer {
  if (id instanceof Initializer) return id;
  if (id === undefined || id === null) return initializer(fallback);
  if (typeof id === "string") {
    const found = resolveObject("initializer", [id], ctx);
    if (found === undefined) throw unknownObjectError("initializer", id);
    return makeObject("initializer", found.value, found.name, {}, isInitializer);
  }
  if (isJsonObject(id))
    return objectFromEnvelope("initializer", readEnvelope(id, "an initializer"), ctx, isInitializer);
  throw new EngineError(
    "invalid-config",
    cannot("read", "an initializer", `expected a name or config, got ${JSON.stringify(id)}`),
  );
}

/** The Keras 3 config value of an initializer. */
export function serializeInitializer(init: Initializer): JsonObject {
  return kindEnvelope("initializer", "keras.initializers", init, init.getConfig(), Initializer);
}

/** The snake_case alias of an initializer class (`GlorotUniform` -> `glorot_uniform`). */
export function initializerAlias(className: string): string {
  return toSnakeCase(className);
}
