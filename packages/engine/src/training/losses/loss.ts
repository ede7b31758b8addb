import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import type { Registry } from "@kerastore/registry";
import { EngineError } from "../../errors.js";
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

const SPECS: Record<string, LossSpec> = {
  MeanSquaredError: { defaultName: "mean_squared_error", make: () => fns.meanSquaredError, keys: {} },
  MeanAbsoluteError: { defaultName: "mean_absolute_error", make: () => fns.meanAbsoluteError, keys: {} },
  MeanAbsolutePercentageError: {
    defaultName: "mean_absolute_percentage_error",
    make: () => fns.meanAbsolutePercentageError,
    keys: {},
  },
  MeanSquaredLogarithmicError: {
    defaultName: "mean_squared_logarithmic_error",
    make: () => fns.meanSquaredLogarithmicError,
    keys: {},
  },
  Huber: { defaultName: "huber_loss", make: (c) => fns.huber(num(c, "delta", 1)), keys: {}, hidden: { delta: 1 } },
  LogCosh: { defaultName: "log_cosh", make: () => fns.logCosh, keys: {} },
  BinaryCrossentropy: {
    defaultName: "binary_crossentropy",
    make: (c) =>
      fns.binaryCrossentropy({ fromLogits: flag(c, "from_logits"), labelSmoothing: num(c, "label_smoothing", 0) }),
    keys: { from_logits: false, label_smoothing: 0, axis: -1 },
  },
  CategoricalCrossentropy: {
    defaultName: "categorical_crossentropy",
    make: (c) =>
      fns.categoricalCrossentropy({ fromLogits: flag(c, "from_logits"), labelSmoothing: num(c, "label_smoothing", 0) }),
    keys: { from_logits: false, label_smoothing: 0, axis: -1 },
  },
  SparseCategoricalCrossentropy: {
    defaultName: "sparse_categorical_crossentropy",
    make: (c) => fns.sparseCategoricalCrossentropy({ fromLogits: flag(c, "from_logits") }),
    keys: { from_logits: false, ignore_class: null },
  },
  Hinge: { defaultName: "hinge", make: () => fns.hinge, keys: {} },
  SquaredHinge: { defaultName: "squared_hinge", make: () => fns.squaredHinge, keys: {} },
  CategoricalHinge: { defaultName: "categorical_hinge", make: () => fns.categoricalHinge, keys: {} },
  KLDivergence: { defaultName: "kl_divergence", make: () => fns.klDivergence, keys: {} },
  Poisson: { defaultName: "poisson", make: () => fns.poisson, keys: {} },
  CosineSimilarity: {
    defaultName: "cosine_similarity",
    make: (c) => fns.cosineSimilarity(num(c, "axis", -1)),
    keys: {},
    hidden: { axis: -1 },
  },
};

/** The built-in loss classes by Keras name (`MeanSquaredError`, ...). */
export const lossClassNames: readonly string[] = Object.freeze(Object.keys(SPECS));

// Function names and short aliases Keras's `losses.get` accepts, to class names.
const ALIASES: Record<string, string> = {
  mse: "MeanSquaredError",
  mean_squared_error: "MeanSquaredError",
  mae: "MeanAbsoluteError",
  mean_absolute_error: "MeanAbsoluteError",
  mape: "MeanAbsolutePercentageError",
  mean_absolute_percentage_error: "MeanAbsolutePercentageError",
  msle: "MeanSquaredLogarithmicError",
  mean_squared_logarithmic_error: "MeanSquaredLogarithmicError",
  huber: "Huber",
  huber_loss: "Huber",
  log_cosh: "LogCosh",
  logcosh: "LogCosh",
  binary_crossentropy: "BinaryCrossentropy",
  categorical_crossentropy: "CategoricalCrossentropy",
  sparse_categorical_crossentropy: "SparseCategoricalCrossentropy",
  hinge: "Hinge",
  squared_hinge: "SquaredHinge",
  categorical_hinge: "CategoricalHinge",
  kld: "KLDivergence",
  kl_divergence: "KLDivergence",
  kullback_leibler_divergence: "KLDivergence",
  poisson: "Poisson",
  cosine_similarity: "CosineSimilarity",
};

/** The loss class name a string names (`'mse'` -> `MeanSquaredError`), if it names one. */
export function lossClassFor(name: string): string | undefined {
  if (name in SPECS) return name;
  return ALIASES[name] ?? ALIASES[name.toLowerCase()];
}

/** What `compile({ loss })` accepts for one output. */
export type LossLike = string | JsonObject | Loss | CustomLossFunction;

/**
 * A loss from a name or alias (`'mse'`, `'categorical_crossentropy'`), a Keras config envelope
 * (either dialect), a Loss, or a custom function (`customObjects` resolves custom names).
 */
export function getLoss(
  identifier: LossLike,
  customObjects: Readonly<Record<string, unknown>> = {},
  registry?: Pick<Registry, "get">,
): Loss {
  const custom = (name: string): unknown =>
    Object.hasOwn(customObjects, name) ? customObjects[name] : registry?.get(name, { kind: "loss" });
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === "function") {
    const name = identifier.kerasName ?? (identifier.name || "custom_loss");
    return new Loss("function", name, identifier);
  }
  if (typeof identifier === "string") {
    const found = custom(identifier);
    if (typeof found === "function") return new Loss("function", identifier, found as fns.LossFunction);
    const cls = lossClassFor(identifier);
    if (cls === undefined) throw unknownLoss(identifier);
    return lossFromConfig(cls, {});
  }
  const className = identifier.class_name;
  const config = identifier.config ?? {};
  if (typeof className !== "string")
    throw new EngineError(
      "invalid-config",
      cannot("read", "the loss config", 'expected {"class_name": ..., "config": {...}}'),
    );
  if (className === "function" && typeof config === "string") {
    const registered = identifier.registered_name;
    return getLoss(
      typeof registered === "string" && custom(registered) !== undefined ? registered : config,
      customObjects,
      registry,
    );
  }
  if (!isJsonObject(config))
    throw new EngineError("invalid-config", cannot("read", `loss ${className}`, '"config" is not an object'));
  const found =
    className in SPECS
      ? undefined
      : (custom(typeof identifier.registered_name === "string" ? identifier.registered_name : className) ??
        custom(className));
  if (typeof found === "function")
    return new Loss(className, typeof config.name === "string" ? config.name : className, found as fns.LossFunction);
  const cls = lossClassFor(className);
  if (cls === undefined) throw unknownLoss(className);
  return lossFromConfig(cls, config);
}

/** A built-in loss of class `className` from its Keras config. */
export function lossFromConfig(className: string, config: JsonObject): Loss {
  const spec = SPECS[className];
  if (spec === undefined) throw unknownLoss(className);
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
  return { module: "keras.losses", class_name: loss.className, config: loss.getConfig(), registered_name: null };
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

function unknownLoss(name: string): EngineError {
  return new EngineError(
    "unknown-object",
    cannot(
      "find",
      `loss "${name}"`,
      "it is not a built-in loss",
      "pass the function in customObjects or as the loss itself",
    ),
  );
}
