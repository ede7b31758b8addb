import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { type Registry, builtinRegistry, defaultRegistry } from "@kerastore/registry";
import { EngineError } from "../../errors.js";
import { type FromConfigContext, checkedFunction, classFromConfig, kindEnvelope } from "../../keras-object.js";
import { builtinObject, resolveObject, unknownObjectError } from "../../resolve-object.js";
import * as fns from "./loss-functions.js";

/** How a loss turns per-sample values into one number (Keras 3 names). */
export type Reduction = "sum_over_batch_size" | "sum" | "none" | "mean" | "mean_with_sample_weight";

const REDUCTIONS = new Set<string>(["sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight"]);

/** A custom per-sample loss, as `compile({ loss: fn })` takes it. */
export type CustomLossFunction = fns.LossFunction & { readonly kerasName?: string };

/**
 * A Keras loss object: a per-sample function, a reduction and its config.
 *
 * `call` applies sample weights then reduces as Keras 3's `reduce_weighted_values` does:
 * `sum_over_batch_size` divides the weighted sum by the number of values (not by the weights).
 */
export class Loss {
  constructor(
    /** The Keras class name (`MeanSquaredError`), or `function` for a plain function. */
    readonly className: string,
    /** The loss's name (`mean_squared_error`). */
    readonly name: string,
    readonly fn: fns.LossFunction,
    readonly reduction: Reduction = "sum_over_batch_size",
    private readonly ownConfig: JsonObject = {},
  ) {}

  /** The reduced loss (a scalar unless the reduction is `none`). */
  call(yTrue: tf.Tensor, yPred: tf.Tensor, sampleWeight?: tf.Tensor | null): tf.Tensor {
    return tf.tidy(() => {
      // A cast to the same dtype would make a new tensor, losing the logits attached to yPred.
      let values = this.fn(yTrue, yPred.dtype === "float32" ? yPred : tf.cast(yPred, "float32"));
      let weight: tf.Tensor | null = null;
      if (sampleWeight !== undefined && sampleWeight !== null) {
        weight = sameRank(tf.cast(sampleWeight, "float32"), values.rank);
        values = tf.mul(values, weight);
      }
      return reduce(values, weight, this.reduction);
    });
  }

  /** Keras 3 `get_config()`. */
  getConfig(): JsonObject {
    return { name: this.name, reduction: this.reduction, ...this.ownConfig };
  }
}

function sameRank(weight: tf.Tensor, rank: number): tf.Tensor {
  let w = weight;
  while (w.rank > rank && w.shape[w.rank - 1] === 1) w = tf.squeeze(w, [-1]);
  while (w.rank < rank) w = tf.expandDims(w, -1);
  return w;
}

function reduce(values: tf.Tensor, weight: tf.Tensor | null, reduction: Reduction): tf.Tensor {
  if (reduction === "none" || values.rank === 0) return values;
  const total = tf.sum(values);
  if (reduction === "sum") return total;
  const divisor =
    reduction === "mean_with_sample_weight" && weight !== null
      ? tf.sum(tf.mul(weight, tf.onesLike(values)))
      : tf.scalar(values.size);
  // divide_no_nan: 0 when the divisor is 0.
  return tf.where(tf.equal(divisor, 0), tf.zerosLike(total), tf.div(total, divisor));
}

interface LossSpec {
  readonly defaultName: string;
  readonly make: (c: JsonObject) => fns.LossFunction;
  /** Config keys beyond name and reduction, with defaults, in Keras's order. */
  readonly keys: JsonObject;
  /** Keys Keras 3.15's get_config leaves out (Huber's delta); written only when not default. */
  readonly hidden?: JsonObject;
}

const num = (c: JsonObject, k: string, d: number) => (typeof c[k] === "number" ? (c[k] as number) : d);
const flag = (c: JsonObject, k: string) => c[k] === true;

const names: string[] = [];

/** The built-in loss classes by Keras name (`MeanSquaredError`, ...), filled by `installBuiltins()`. */
export const lossClassNames: readonly string[] = names;

/**
 * Registers the built-in losses into `registry` (from `installBuiltins()`): each class as a
 * factory `(config) => Loss` under its Keras class name and the function names and short
 * aliases Keras's `losses.get` accepts, kind `loss`.
 */
export function installLosses(registry: Registry): void {
  const add = (className: string, spec: LossSpec, aliases: readonly string[]): void => {
    const factory = (config: JsonObject = {}): Loss => lossFromSpec(className, spec, config);
    for (const name of [className, ...aliases]) {
      registry.register(name, factory, { kind: "loss", module: "keras.losses", className });
    }
    if (!names.includes(className)) names.push(className);
  };
  add("MeanSquaredError", { defaultName: "mean_squared_error", make: () => fns.meanSquaredError, keys: {} }, [
    "mse",
    "mean_squared_error",
  ]);
  add("MeanAbsoluteError", { defaultName: "mean_absolute_error", make: () => fns.meanAbsoluteError, keys: {} }, [
    "mae",
    "mean_absolute_error",
  ]);
  add(
    "MeanAbsolutePercentageError",
    { defaultName: "mean_absolute_percentage_error", make: () => fns.meanAbsolutePercentageError, keys: {} },
    ["mape", "mean_absolute_percentage_error"],
  );
  add(
    "MeanSquaredLogarithmicError",
    { defaultName: "mean_squared_logarithmic_error", make: () => fns.meanSquaredLogarithmicError, keys: {} },
    ["msle", "mean_squared_logarithmic_error"],
  );
  add(
    "Huber",
    { defaultName: "huber_loss", make: (c) => fns.huber(num(c, "delta", 1)), keys: {}, hidden: { delta: 1 } },
    ["huber", "huber_loss"],
  );
  add("LogCosh", { defaultName: "log_cosh", make: () => fns.logCosh, keys: {} }, ["log_cosh", "logcosh"]);
  add(
    "BinaryCrossentropy",
    {
      defaultName: "binary_crossentropy",
      make: (c) =>
        fns.binaryCrossentropy({ fromLogits: flag(c, "from_logits"), labelSmoothing: num(c, "label_smoothing", 0) }),
      keys: { from_logits: false, label_smoothing: 0, axis: -1 },
    },
    ["binary_crossentropy"],
  );
  add(
    "CategoricalCrossentropy",
    {
      defaultName: "categorical_crossentropy",
      make: (c) =>
        fns.categoricalCrossentropy({
          fromLogits: flag(c, "from_logits"),
          labelSmoothing: num(c, "label_smoothing", 0),
        }),
      keys: { from_logits: false, label_smoothing: 0, axis: -1 },
    },
    ["categorical_crossentropy"],
  );
  add(
    "SparseCategoricalCrossentropy",
    {
      defaultName: "sparse_categorical_crossentropy",
      make: (c) => fns.sparseCategoricalCrossentropy({ fromLogits: flag(c, "from_logits") }),
      keys: { from_logits: false, ignore_class: null },
    },
    ["sparse_categorical_crossentropy"],
  );
  add("Hinge", { defaultName: "hinge", make: () => fns.hinge, keys: {} }, ["hinge"]);
  add("SquaredHinge", { defaultName: "squared_hinge", make: () => fns.squaredHinge, keys: {} }, ["squared_hinge"]);
  add("CategoricalHinge", { defaultName: "categorical_hinge", make: () => fns.categoricalHinge, keys: {} }, [
    "categorical_hinge",
  ]);
  add("KLDivergence", { defaultName: "kl_divergence", make: () => fns.klDivergence, keys: {} }, [
    "kld",
    "kl_divergence",
    "kullback_leibler_divergence",
  ]);
  add("Poisson", { defaultName: "poisson", make: () => fns.poisson, keys: {} }, ["poisson"]);
  add(
    "CosineSimilarity",
    {
      defaultName: "cosine_similarity",
      make: (c) => fns.cosineSimilarity(num(c, "axis", -1)),
      keys: {},
      hidden: { axis: -1 },
    },
    ["cosine_similarity"],
  );
}

/** The loss class name a string names (`'mse'` -> `MeanSquaredError`), if it names a built-in one. */
export function lossClassFor(name: string): string | undefined {
  const entry = builtinRegistry.lookup([name, name.toLowerCase()], { kind: "loss" });
  return entry?.className;
}

/** What `compile({ loss })` accepts for one output. */
export type LossLike = string | JsonObject | Loss | CustomLossFunction;

/**
 * A loss from a name or alias (`'mse'`, `'categorical_crossentropy'`), a Keras config envelope
 * (either dialect), a Loss, or a custom function. Names resolve through the one registry order:
 * `customObjects`, the open `customObjectScope`s, `registry` (default `defaultRegistry`), the
 * built-ins.
 */
export function getLoss(
  identifier: LossLike,
  customObjects: Readonly<Record<string, unknown>> = {},
  registry?: Registry,
): Loss {
  const ctx: FromConfigContext = { customObjects, registry };
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === "function") {
    // A registered function is written by its registered name (`package>name`), as Keras does.
    const name =
      identifier.kerasName ?? (registry ?? defaultRegistry).nameOf(identifier) ?? (identifier.name || "custom_loss");
    return new Loss("function", name, identifier);
  }
  if (typeof identifier === "string") return lossByName(identifier, ctx);
  const className = identifier.class_name;
  const config = identifier.config ?? {};
  if (typeof className !== "string")
    throw new EngineError(
      "invalid-config",
      cannot("read", "the loss config", 'expected {"class_name": ..., "config": {...}}'),
    );
  if (className === "function" && typeof config === "string") return lossByName(config, ctx);
  if (!isJsonObject(config))
    throw new EngineError("invalid-config", cannot("read", `loss ${className}`, '"config" is not an object'));
  const registered = typeof identifier.registered_name === "string" ? identifier.registered_name : null;
  const found = resolveObject("loss", [registered, className], ctx);
  if (found === undefined) throw unknownObjectError("loss", registered ?? className);
  if (found.source === "builtin") return (found.value as (c: JsonObject) => Loss)(config);
  return customLoss(found.value, found.name, config, className);
}

/** A loss by name: a custom per-sample function (or Loss) found first, else a built-in class or alias. */
function lossByName(name: string, ctx: FromConfigContext): Loss {
  // Keras writes a registered function as `package>name`; resolveObject also finds a custom one by its bare name.
  const found = resolveObject("loss", [name, name.toLowerCase()], ctx);
  if (found === undefined) throw unknownObjectError("loss", name);
  if (found.source === "builtin") return (found.value as (c: JsonObject) => Loss)({});
  return customLoss(found.value, name, {}, "function");
}

/** A custom loss found by name: a Loss instance, a Loss class (`fromConfig`), or a per-sample function. */
function customLoss(value: unknown, name: string, config: JsonObject, className: string): Loss {
  if (value instanceof Loss) return value;
  const fromConfig = classFromConfig(value, (v) => v instanceof Loss);
  if (fromConfig !== undefined) return fromConfig(config) as Loss;
  const fn = checkedFunction(value, "loss", name) as fns.LossFunction;
  return new Loss(className, typeof config.name === "string" ? config.name : name, fn);
}

/** A built-in loss of class `className` from its Keras config. */
export function lossFromConfig(className: string, config: JsonObject): Loss {
  const make = builtinObject<(c: JsonObject) => Loss>("loss", className);
  if (make === undefined) throw unknownObjectError("loss", className);
  return make(config);
}

function lossFromSpec(className: string, spec: LossSpec, config: JsonObject): Loss {
  const reduction = reductionOf(config.reduction, className);
  const own: JsonObject = {};
  for (const [k, d] of Object.entries(spec.keys)) own[k] = config[k] ?? d;
  for (const [k, d] of Object.entries(spec.hidden ?? {}))
    if (config[k] !== undefined && config[k] !== d) own[k] = config[k]!;
  if (className === "SparseCategoricalCrossentropy" && own.ignore_class !== null) {
    throw new EngineError(
      "unsupported",
      cannot("make", "SparseCategoricalCrossentropy", "ignore_class is not supported"),
    );
  }
  const name = typeof config.name === "string" ? config.name : spec.defaultName;
  return new Loss(className, name, spec.make({ ...spec.hidden, ...own }), reduction, own);
}

/** Keras 3's envelope of a loss; plain functions serialize as their name. */
export function serializeLoss(loss: Loss): JsonValue {
  if (loss.className === "function") return loss.name;
  return kindEnvelope("loss", "keras.losses", loss, loss.getConfig(), Loss);
}

function reductionOf(value: JsonValue | undefined, cls: string): Reduction {
  if (value === undefined || value === null || value === "auto" || value === "sum_over_batch_size")
    return "sum_over_batch_size";
  if (typeof value === "string" && REDUCTIONS.has(value)) return value as Reduction;
  throw new EngineError(
    "invalid-config",
    cannot(
      "read",
      `loss ${cls}`,
      `unknown reduction ${JSON.stringify(value)}`,
      `use one of ${[...REDUCTIONS].join(", ")}`,
    ),
  );
}
