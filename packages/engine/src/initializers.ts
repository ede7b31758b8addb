import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "./errors.js";
import {
  type FromConfigContext,
  checkBuiltinOrigin,
  envelope,
  lookupCustom,
  lookupCustomFunction,
  numberField,
  readEnvelope,
} from "./keras-object.js";
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

/** Each built-in initializer: its default config and how it fills a tensor. */
const BUILTINS: Record<string, { defaults: JsonObject; make: Maker }> = {
  Zeros: { defaults: {}, make: (s, d) => tf.zeros(s, d) },
  Ones: { defaults: {}, make: (s, d) => tf.ones(s, d) },
  Constant: { defaults: { value: 0 }, make: (s, d, c) => tf.fill(s, numberField(c, "value", 0), d) },
  RandomNormal: {
    defaults: { seed: null, mean: 0, stddev: 0.05 },
    make: (s, d, c) =>
      tf.randomNormal(s, numberField(c, "mean", 0), numberField(c, "stddev", 0.05), d as "float32", seedOf(c)),
  },
  RandomUniform: {
    defaults: { seed: null, minval: -0.05, maxval: 0.05 },
    make: (s, d, c) =>
      tf.randomUniform(s, numberField(c, "minval", -0.05), numberField(c, "maxval", 0.05), d, seedOf(c)),
  },
  TruncatedNormal: {
    defaults: { seed: null, mean: 0, stddev: 0.05 },
    make: (s, d, c) =>
      tf.truncatedNormal(s, numberField(c, "mean", 0), numberField(c, "stddev", 0.05), d as "float32", seedOf(c)),
  },
  VarianceScaling: {
    defaults: {
      seed: null,
      scale: 1,
      mode: "fan_in",
      distribution: "truncated_normal",
      input_axes: null,
      output_axes: null,
    },
    make: varianceScaling,
  },
  GlorotUniform: {
    defaults: { seed: null, input_axes: null, output_axes: null },
    make: scaled(1, "fan_avg", "uniform"),
  },
  GlorotNormal: {
    defaults: { seed: null, input_axes: null, output_axes: null },
    make: scaled(1, "fan_avg", "truncated_normal"),
  },
  HeUniform: { defaults: { seed: null, input_axes: null, output_axes: null }, make: scaled(2, "fan_in", "uniform") },
  HeNormal: {
    defaults: { seed: null, input_axes: null, output_axes: null },
    make: scaled(2, "fan_in", "truncated_normal"),
  },
  LecunUniform: { defaults: { seed: null, input_axes: null, output_axes: null }, make: scaled(1, "fan_in", "uniform") },
  LecunNormal: {
    defaults: { seed: null, input_axes: null, output_axes: null },
    make: scaled(1, "fan_in", "truncated_normal"),
  },
  Orthogonal: { defaults: { seed: null, gain: 1 }, make: orthogonal },
  Identity: {
    defaults: { gain: 1 },
    make: (s, d, c) =>
      tf.mul(tf.eye(s[0] ?? 1, s[1] ?? s[0] ?? 1, undefined, d as "float32"), numberField(c, "gain", 1)),
  },
};

/** Keras 2 class names and string aliases of the built-ins. */
const ALIASES: Record<string, string> = {
  zeros: "Zeros",
  zero: "Zeros",
  ones: "Ones",
  one: "Ones",
  constant: "Constant",
  random_normal: "RandomNormal",
  random_uniform: "RandomUniform",
  truncated_normal: "TruncatedNormal",
  variance_scaling: "VarianceScaling",
  glorot_uniform: "GlorotUniform",
  glorot_normal: "GlorotNormal",
  he_uniform: "HeUniform",
  he_normal: "HeNormal",
  lecun_uniform: "LecunUniform",
  lecun_normal: "LecunNormal",
  orthogonal: "Orthogonal",
  identity: "Identity",
  IdentityInitializer: "Identity",
};

/** The names of every built-in initializer class. */
export const initializerNames: readonly string[] = Object.freeze(Object.keys(BUILTINS));

/** Makes a built-in initializer from its class name and (partial) Keras config. */
export function initializer(className: string, config: JsonObject = {}): Initializer {
  const name = ALIASES[className] ?? className;
  const spec = BUILTINS[name];
  if (spec === undefined) {
    throw new EngineError(
      "unknown-object",
      cannot("find", `initializer "${className}"`, "it is not a Keras initializer", "pass it in customObjects"),
    );
  }
  const merged: JsonObject = { ...spec.defaults };
  for (const key of Object.keys(config)) {
    // Keras 2 configs may carry keys Keras 3 dropped (dtype); keep only the known ones.
    if (key in spec.defaults) merged[key] = config[key] as JsonValue;
  }
  return new Initializer(name, merged, spec.make);
}

/** What an initializer option accepts: a name (`"zeros"`, `"GlorotUniform"`) or an instance. */
export type InitializerLike = string | Initializer;

/** Resolves an initializer option or config value. */
export function getInitializer(
  id: InitializerLike | JsonValue | undefined,
  fallback: string,
  ctx: FromConfigContext = {},
): Initializer {
  if (id instanceof Initializer) return id;
  if (id === undefined || id === null) return initializer(fallback);
  if (typeof id === "string") {
    const custom = lookupCustom(ctx, id);
    if (custom instanceof Initializer) return custom;
    return initializer(id);
  }
  if (isJsonObject(id)) {
    const ref = readEnvelope(id, "an initializer");
    const custom = lookupCustomFunction(ctx, "initializer", ref.registeredName, ref.className);
    if (custom !== undefined) return (custom as (c: JsonObject) => Initializer)(ref.config);
    checkBuiltinOrigin(ref, "initializer");
    return initializer(ref.className, ref.config);
  }
  throw new EngineError(
    "invalid-config",
    cannot("read", "an initializer", `expected a name or config, got ${JSON.stringify(id)}`),
  );
}

/** The Keras 3 config value of an initializer. */
export function serializeInitializer(init: Initializer): JsonObject {
  return envelope("keras.initializers", init.className, init.getConfig());
}

/** The snake_case alias of an initializer class (`GlorotUniform` -> `glorot_uniform`). */
export function initializerAlias(className: string): string {
  return toSnakeCase(className);
}
