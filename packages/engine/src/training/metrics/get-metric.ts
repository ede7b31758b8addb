import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import type { Registry } from "@kerastore/registry";
import { EngineError } from "../../errors.js";
import { AUC, Precision, Recall } from "./confusion.js";
import { Mean, MeanMetricWrapper, Metric, type MetricFunction, RootMeanSquaredError, Sum } from "./metric.js";
import * as fns from "./metric-functions.js";

/** What `compile({ metrics })` accepts for one metric. */
export type MetricLike = string | JsonObject | Metric | MetricFunction;

/** What resolving `'accuracy'` / `'acc'` needs to know, as Keras decides by loss and output. */
export interface MetricContext {
  /** The loss class of the output (`SparseCategoricalCrossentropy`, ...). */
  readonly lossClass?: string | undefined;
  /** The last dimension of the output. */
  readonly outputUnits?: number | undefined;
  /** Custom metric functions or classes by name. */
  readonly customObjects?: Readonly<Record<string, unknown>> | undefined;
  /** A registry to look custom metric functions up in (after `customObjects`). */
  readonly registry?: Pick<Registry, "get"> | undefined;
}

type Maker = (c: JsonObject) => Metric;
const num = (c: JsonObject, k: string, d: number) => (typeof c[k] === "number" ? (c[k] as number) : d);
const nameOf = (c: JsonObject, d: string) => (typeof c.name === "string" ? c.name : d);

const CLASSES: Record<string, Maker> = {
  Mean: (c) => new Mean(nameOf(c, "mean")),
  Sum: (c) => new Sum(nameOf(c, "sum")),
  MeanSquaredError: (c) =>
    new MeanMetricWrapper("MeanSquaredError", nameOf(c, "mean_squared_error"), fns.meanSquaredError),
  MeanAbsoluteError: (c) =>
    new MeanMetricWrapper("MeanAbsoluteError", nameOf(c, "mean_absolute_error"), fns.meanAbsoluteError),
  RootMeanSquaredError: (c) => new RootMeanSquaredError(nameOf(c, "root_mean_squared_error")),
  Accuracy: (c) => new MeanMetricWrapper("Accuracy", nameOf(c, "accuracy"), fns.accuracy),
  BinaryAccuracy: (c) => {
    const threshold = num(c, "threshold", 0.5);
    return new MeanMetricWrapper("BinaryAccuracy", nameOf(c, "binary_accuracy"), fns.binaryAccuracy(threshold), {
      threshold,
    });
  },
  CategoricalAccuracy: (c) =>
    new MeanMetricWrapper("CategoricalAccuracy", nameOf(c, "categorical_accuracy"), fns.categoricalAccuracy),
  SparseCategoricalAccuracy: (c) =>
    new MeanMetricWrapper(
      "SparseCategoricalAccuracy",
      nameOf(c, "sparse_categorical_accuracy"),
      fns.sparseCategoricalAccuracy,
    ),
  TopKCategoricalAccuracy: (c) => {
    const k = num(c, "k", 5);
    return new MeanMetricWrapper(
      "TopKCategoricalAccuracy",
      nameOf(c, "top_k_categorical_accuracy"),
      fns.topKCategoricalAccuracy(k),
      { k },
    );
  },
  SparseTopKCategoricalAccuracy: (c) => {
    const k = num(c, "k", 5);
    return new MeanMetricWrapper(
      "SparseTopKCategoricalAccuracy",
      nameOf(c, "sparse_top_k_categorical_accuracy"),
      fns.sparseTopKCategoricalAccuracy(k),
      { k },
    );
  },
  Precision: (c) =>
    new Precision({ name: nameOf(c, "precision"), thresholds: typeof c.thresholds === "number" ? c.thresholds : null }),
  Recall: (c) =>
    new Recall({ name: nameOf(c, "recall"), thresholds: typeof c.thresholds === "number" ? c.thresholds : null }),
  AUC: (c) =>
    new AUC({
      name: nameOf(c, "auc"),
      numThresholds: num(c, "num_thresholds", 200),
      curve: c.curve === "PR" ? "PR" : "ROC",
      summationMethod:
        c.summation_method === "minoring"
          ? "minoring"
          : c.summation_method === "majoring"
            ? "majoring"
            : "interpolation",
      fromLogits: c.from_logits === true,
    }),
};

/** The built-in metric classes by Keras name (`Accuracy`, `AUC`, ...). */
export const metricClassNames: readonly string[] = Object.freeze(Object.keys(CLASSES));

// Function names and aliases Keras's `metrics.get` accepts, to classes. The metric keeps the
// string as its name (`'mae'` logs as `mae`).
const ALIASES: Record<string, string> = {
  mse: "MeanSquaredError",
  mean_squared_error: "MeanSquaredError",
  mae: "MeanAbsoluteError",
  mean_absolute_error: "MeanAbsoluteError",
  rmse: "RootMeanSquaredError",
  root_mean_squared_error: "RootMeanSquaredError",
  accuracy: "Accuracy",
  binary_accuracy: "BinaryAccuracy",
  categorical_accuracy: "CategoricalAccuracy",
  sparse_categorical_accuracy: "SparseCategoricalAccuracy",
  top_k_categorical_accuracy: "TopKCategoricalAccuracy",
  sparse_top_k_categorical_accuracy: "SparseTopKCategoricalAccuracy",
  precision: "Precision",
  recall: "Recall",
  auc: "AUC",
  mean: "Mean",
  sum: "Sum",
};

/**
 * A metric from a name (`'mae'`, `'accuracy'`: resolved by the loss and output as Keras
 * does), a Keras config envelope, a Metric or a custom function.
 */
export function getMetric(identifier: MetricLike, ctx: MetricContext = {}): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === "function")
    return new MeanMetricWrapper("MeanMetricWrapper", identifier.name || "custom_metric", identifier);
  if (typeof identifier === "string") {
    const custom =
      ctx.customObjects !== undefined && Object.hasOwn(ctx.customObjects, identifier)
        ? ctx.customObjects[identifier]
        : ctx.registry?.get(identifier, { kind: "metric" });
    if (typeof custom === "function")
      return new MeanMetricWrapper("MeanMetricWrapper", identifier, custom as MetricFunction);
    if (identifier === "accuracy" || identifier === "acc") return accuracyFor(identifier, ctx);
    const cls = ALIASES[identifier] ?? (identifier in CLASSES ? identifier : undefined);
    if (cls === undefined) throw unknownMetric(identifier);
    return CLASSES[cls]!({ name: identifier });
  }
  return metricFromEnvelope(identifier);
}

/** A metric from `{class_name, config}` (either dialect). */
export function metricFromEnvelope(json: JsonObject): Metric {
  const className = json.class_name;
  const config = json.config ?? {};
  if (typeof className !== "string" || !isJsonObject(config)) {
    throw new EngineError(
      "invalid-config",
      cannot("read", "the metric config", 'expected {"class_name": ..., "config": {...}}'),
    );
  }
  if (className === "MeanMetricWrapper" && typeof config.fn === "string") {
    // Keras 2 (tf.keras) writes compiled function metrics this way: {"name": "accuracy", "fn": "categorical_accuracy"}.
    const cls = ALIASES[config.fn];
    if (cls === undefined) throw unknownMetric(config.fn);
    return CLASSES[cls]!({ ...config, name: typeof config.name === "string" ? config.name : config.fn });
  }
  const make = CLASSES[className];
  if (make === undefined) throw unknownMetric(className);
  return make(config);
}

/** How a metric appears in `compile_config`: aliases by the string given, objects as envelopes. */
export function serializeMetric(metric: Metric, givenAs?: string): JsonValue {
  if (givenAs !== undefined) return givenAs;
  return { module: "keras.metrics", class_name: metric.className, config: metric.getConfig(), registered_name: null };
}

function accuracyFor(name: string, ctx: MetricContext): Metric {
  if (ctx.lossClass === "SparseCategoricalCrossentropy")
    return new MeanMetricWrapper("SparseCategoricalAccuracy", name, fns.sparseCategoricalAccuracy);
  if (ctx.lossClass === "BinaryCrossentropy" || ctx.outputUnits === 1)
    return new MeanMetricWrapper("BinaryAccuracy", name, fns.binaryAccuracy(0.5), { threshold: 0.5 });
  return new MeanMetricWrapper("CategoricalAccuracy", name, fns.categoricalAccuracy);
}

function unknownMetric(name: string): EngineError {
  return new EngineError(
    "unknown-object",
    cannot(
      "find",
      `metric "${name}"`,
      "it is not a built-in metric",
      "pass the function in customObjects or as the metric itself",
    ),
  );
}
