import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { type Registry, defaultRegistry } from "@kerastore/registry";
import { EngineError } from "../../errors.js";
import { checkedFunction, classFromConfig } from "../../keras-object.js";
import { resolveObject, unknownObjectError } from "../../resolve-object.js";
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
  readonly registry?: Registry | undefined;
}

type Maker = (c: JsonObject) => Metric;
const num = (c: JsonObject, k: string, d: number) => (typeof c[k] === "number" ? (c[k] as number) : d);
const nameOf = (c: JsonObject, d: string) => (typeof c.name === "string" ? c.name : d);

const names: string[] = [];

/** The built-in metric classes by Keras name (`Accuracy`, `AUC`, ...), filled by `installBuiltins()`. */
export const metricClassNames: readonly string[] = names;

/**
 * Registers the built-in metrics into `registry` (from `installBuiltins()`): each class as a
 * factory `(config) => Metric` under its Keras class name and the function names and aliases
 * Keras's `metrics.get` accepts (the metric keeps the string as its name: `'mae'` logs as
 * `mae`), kind `metric`.
 */
export function installMetrics(registry: Registry): void {
  const add = (className: string, aliases: readonly string[], make: Maker): void => {
    for (const name of [className, ...aliases]) {
      registry.register(name, make, { kind: "metric", module: "keras.metrics", className });
    }
    if (!names.includes(className)) names.push(className);
  };
  add("Mean", ["mean"], (c) => new Mean(nameOf(c, "mean")));
  add("Sum", ["sum"], (c) => new Sum(nameOf(c, "sum")));
  add(
    "MeanSquaredError",
    ["mse", "mean_squared_error"],
    (c) => new MeanMetricWrapper("MeanSquaredError", nameOf(c, "mean_squared_error"), fns.meanSquaredError),
  );
  add(
    "MeanAbsoluteError",
    ["mae", "mean_absolute_error"],
    (c) => new MeanMetricWrapper("MeanAbsoluteError", nameOf(c, "mean_absolute_error"), fns.meanAbsoluteError),
  );
  add(
    "RootMeanSquaredError",
    ["rmse", "root_mean_squared_error"],
    (c) => new RootMeanSquaredError(nameOf(c, "root_mean_squared_error")),
  );
  add("Accuracy", ["accuracy"], (c) => new MeanMetricWrapper("Accuracy", nameOf(c, "accuracy"), fns.accuracy));
  add("BinaryAccuracy", ["binary_accuracy"], (c) => {
    const threshold = num(c, "threshold", 0.5);
    return new MeanMetricWrapper("BinaryAccuracy", nameOf(c, "binary_accuracy"), fns.binaryAccuracy(threshold), {
      threshold,
    });
  });
  add(
    "CategoricalAccuracy",
    ["categorical_accuracy"],
    (c) => new MeanMetricWrapper("CategoricalAccuracy", nameOf(c, "categorical_accuracy"), fns.categoricalAccuracy),
  );
  add(
    "SparseCategoricalAccuracy",
    ["sparse_categorical_accuracy"],
    (c) =>
      new MeanMetricWrapper(
        "SparseCategoricalAccuracy",
        nameOf(c, "sparse_categorical_accuracy"),
        fns.sparseCategoricalAccuracy,
      ),
  );
  add("TopKCategoricalAccuracy", ["top_k_categorical_accuracy"], (c) => {
    const k = num(c, "k", 5);
    return new MeanMetricWrapper(
      "TopKCategoricalAccuracy",
      nameOf(c, "top_k_categorical_accuracy"),
      fns.topKCategoricalAccuracy(k),
      { k },
    );
  });
  add("SparseTopKCategoricalAccuracy", ["sparse_top_k_categorical_accuracy"], (c) => {
    const k = num(c, "k", 5);
    return new MeanMetricWrapper(
      "SparseTopKCategoricalAccuracy",
      nameOf(c, "sparse_top_k_categorical_accuracy"),
      fns.sparseTopKCategoricalAccuracy(k),
      { k },
    );
  });
  add(
    "Precision",
    ["precision"],
    (c) =>
      new Precision({
        name: nameOf(c, "precision"),
        thresholds: typeof c.thresholds === "number" ? c.thresholds : null,
      }),
  );
  add(
    "Recall",
    ["recall"],
    (c) =>
      new Recall({ name: nameOf(c, "recall"), thresholds: typeof c.thresholds === "number" ? c.thresholds : null }),
  );
  add(
    "AUC",
    ["auc"],
    (c) =>
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
  );
}

/**
 * A metric from a name (`'mae'`, `'accuracy'`: resolved by the loss and output as Keras
 * does), a Keras config envelope, a Metric or a custom function. Names resolve through the one
 * registry order: `customObjects`, the open `customObjectScope`s, `registry`, the built-ins.
 */
export function getMetric(identifier: MetricLike, ctx: MetricContext = {}): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === "function")
    return new MeanMetricWrapper("MeanMetricWrapper", identifier.name || "custom_metric", identifier);
  if (typeof identifier === "string") {
    const bare = identifier.includes(">") ? identifier.slice(identifier.lastIndexOf(">") + 1) : null;
    const found = resolveObject("metric", [identifier], ctx);
    // A function keeps its own name (`hits`), not the `package>name` it is registered under.
    if (found !== undefined && found.source !== "builtin") return customMetric(found.value, bare ?? identifier, {});
    if (identifier === "accuracy" || identifier === "acc") return accuracyFor(identifier, ctx);
    if (found === undefined) throw unknownObjectError("metric", identifier);
    return (found.value as Maker)({ name: identifier });
  }
  return metricFromEnvelope(identifier, ctx);
}

/** A metric from `{class_name, config}` (either dialect); custom names resolve as in {@link getMetric}. */
export function metricFromEnvelope(json: JsonObject, ctx: MetricContext = {}): Metric {
  const className = json.class_name;
  const config = json.config ?? {};
  if (className === "function" && typeof config === "string") return getMetric(config, ctx);
  if (typeof className !== "string" || !isJsonObject(config)) {
    throw new EngineError(
      "invalid-config",
      cannot("read", "the metric config", 'expected {"class_name": ..., "config": {...}}'),
    );
  }
  if (className === "MeanMetricWrapper" && typeof config.fn === "string") {
    // Keras 2 (tf.keras) writes compiled function metrics this way: {"name": "accuracy", "fn": "categorical_accuracy"}.
    const found = resolveObject("metric", [config.fn], ctx);
    if (found === undefined) throw unknownObjectError("metric", config.fn);
    const name = typeof config.name === "string" ? config.name : config.fn;
    if (found.source !== "builtin") return customMetric(found.value, name, {});
    return (found.value as Maker)({ ...config, name });
  }
  const registered = typeof json.registered_name === "string" ? json.registered_name : null;
  const found = resolveObject("metric", [registered, className], ctx);
  if (found === undefined) throw unknownObjectError("metric", registered ?? className);
  if (found.source !== "builtin") return customMetric(found.value, found.name, config);
  return (found.value as Maker)(config);
}

/** A custom metric found by name: a Metric, a Metric class (`fromConfig`), or a per-sample function. */
function customMetric(value: unknown, name: string, config: JsonObject): Metric {
  if (value instanceof Metric) return value;
  const fromConfig = classFromConfig(value, (v) => v instanceof Metric);
  if (fromConfig !== undefined) return fromConfig(config) as Metric;
  const fn = checkedFunction(value, "metric", name) as MetricFunction;
  return new MeanMetricWrapper("MeanMetricWrapper", typeof config.name === "string" ? config.name : name, fn);
}

/** How a metric appears in `compile_config`: aliases by the string given, objects as envelopes. */
export function serializeMetric(metric: Metric, givenAs?: string, registry: Registry = defaultRegistry): JsonValue {
  if (givenAs !== undefined) return givenAs;
  if (metric instanceof MeanMetricWrapper && metric.className === "MeanMetricWrapper") {
    // A custom function, as Keras 3 writes one: by its registered name (`package>name`) or its own.
    const name = registry.nameOf(metric.fn) ?? (metric.fn.name || metric.name);
    return { module: "builtins", class_name: "function", config: name, registered_name: "function" };
  }
  return { module: "keras.metrics", class_name: metric.className, config: metric.getConfig(), registered_name: null };
}

function accuracyFor(name: string, ctx: MetricContext): Metric {
  if (ctx.lossClass === "SparseCategoricalCrossentropy")
    return new MeanMetricWrapper("SparseCategoricalAccuracy", name, fns.sparseCategoricalAccuracy);
  if (ctx.lossClass === "BinaryCrossentropy" || ctx.outputUnits === 1)
    return new MeanMetricWrapper("BinaryAccuracy", name, fns.binaryAccuracy(0.5), { threshold: 0.5 });
  return new MeanMetricWrapper("CategoricalAccuracy", name, fns.categoricalAccuracy);
}
