import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import type { Registry } from "@kerastore/registry";
import { EngineError } from "../errors.js";
import { Loss, type LossLike, getLoss, serializeLoss } from "./losses/loss.js";
import { getMetric, type MetricLike, metricFromEnvelope, serializeMetric } from "./metrics/get-metric.js";
import { Mean, type Metric } from "./metrics/metric.js";
import { type OptimizerLike, getOptimizer, serializeOptimizer } from "./optimizers/get-optimizer.js";
import type { Optimizer } from "./optimizers/optimizer.js";
import type { TrainTarget } from "./trainable.js";

/** Options of {@link compile}, as Keras's `model.compile`. */
export interface CompileOptions {
  /** A name (`'adam'`), a config envelope or an Optimizer (default `'rmsprop'`, as Keras). */
  readonly optimizer?: OptimizerLike | undefined;
  /** One loss for every output, or one per output (list, or object by output name). */
  readonly loss?: LossLike | readonly LossLike[] | Readonly<Record<string, LossLike>> | undefined;
  /** Weights of the per-output losses in the total. */
  readonly lossWeights?: readonly number[] | Readonly<Record<string, number>> | number | undefined;
  /** Metrics for every output (a list) or per output (list of lists, or object by output name). */
  readonly metrics?:
    | readonly MetricLike[]
    | readonly (readonly MetricLike[])[]
    | Readonly<Record<string, MetricLike | readonly MetricLike[]>>
    | undefined;
  /** Metrics that use the sample weights. */
  readonly weightedMetrics?: readonly MetricLike[] | undefined;
  /** Custom losses and metrics by name. */
  readonly customObjects?: Readonly<Record<string, unknown>> | undefined;
  /** A registry of custom losses and metrics (kinds `loss`, `metric`), looked up after `customObjects`. */
  readonly registry?: Pick<Registry, "get"> | undefined;
}

/** One output's metric with how it was given (for the config) and whether it is weighted. */
interface OutputMetric {
  readonly metric: Metric;
  readonly output: number;
  readonly weighted: boolean;
  readonly given: JsonValue;
}

/** What `compile` produces: the optimizer, the per-output losses, metrics and trackers. */
export class Compiled {
  /** The total loss, weighted by batch size (Keras's loss tracker). */
  readonly lossTracker = new Mean("loss");

  constructor(
    readonly optimizer: Optimizer,
    /** One loss per output (null: that output has no loss). */
    readonly losses: readonly (Loss | null)[],
    readonly lossWeights: readonly number[],
    readonly metrics: readonly OutputMetric[],
    readonly outputNames: readonly string[],
    private readonly config: JsonObject,
    /** Per-output loss trackers (`out_loss`) when there are several outputs. */
    readonly outputLossTrackers: readonly (Mean | null)[],
  ) {}

  /**
   * The total loss of a batch as a scalar tensor: the weighted sum of the outputs' losses
   * plus the target's extra losses. Call inside the gradient function.
   */
  totalLoss(
    ys: readonly tf.Tensor[],
    outs: readonly tf.Tensor[],
    sampleWeight: tf.Tensor | null,
    extra: readonly tf.Scalar[] = [],
  ): { total: tf.Scalar; perOutput: (tf.Scalar | null)[] } {
    const parts: tf.Scalar[] = [];
    const perOutput: (tf.Scalar | null)[] = [];
    this.losses.forEach((loss, i) => {
      if (loss === null) {
        perOutput.push(null);
        return;
      }
      const value = loss.call(ys[i]!, outs[i]!, sampleWeight) as tf.Scalar;
      perOutput.push(value);
      const w = this.lossWeights[i] ?? 1;
      parts.push(w === 1 ? value : (tf.mul(value, w) as tf.Scalar));
    });
    for (const e of extra) parts.push(e);
    if (parts.length === 0) {
      throw new EngineError(
        "invalid-argument",
        cannot("compute", "the loss", "no loss to compute", "pass a loss to compile()"),
      );
    }
    const total = parts.length === 1 ? parts[0]! : (tf.addN(parts) as tf.Scalar);
    return { total, perOutput };
  }

  /** Updates the compiled metrics with a batch's outputs. */
  updateMetrics(ys: readonly tf.Tensor[], outs: readonly tf.Tensor[], sampleWeight: tf.Tensor | null): void {
    for (const m of this.metrics)
      m.metric.updateState(ys[m.output]!, outs[m.output]!, m.weighted ? sampleWeight : null);
  }

  /** Current logs: `loss`, per-output losses, then the metrics, in Keras's order. */
  logs(): Record<string, number> {
    const out: Record<string, number> = { loss: this.lossTracker.result() };
    this.outputLossTrackers.forEach((t) => {
      if (t !== null) out[t.name] = t.result();
    });
    for (const m of this.metrics) out[m.metric.name] = m.metric.result();
    return out;
  }

  /** Resets the loss trackers and every metric (at each epoch and evaluation). */
  resetMetrics(): void {
    this.lossTracker.reset();
    for (const t of this.outputLossTrackers) t?.reset();
    for (const m of this.metrics) m.metric.reset();
  }

  /** Keras 3 `compile_config`. */
  compileConfig(): JsonObject {
    return { ...this.config, optimizer: serializeOptimizer(this.optimizer) };
  }

  /** Keras 2 `training_config` (what legacy H5 files hold). */
  trainingConfig(): JsonObject {
    const c = this.config;
    return {
      loss: c.loss ?? null,
      metrics: c.metrics ?? null,
      weighted_metrics: c.weighted_metrics ?? null,
      loss_weights: c.loss_weights ?? null,
      optimizer_config: { class_name: this.optimizer.className, config: this.optimizer.getConfig() },
    };
  }
}

/** Builds the compiled state for a model (Keras's `model.compile`). */
export function compile(
  target: Pick<TrainTarget, "outputNames">,
  options: CompileOptions,
  outputCount = target.outputNames?.length ?? 1,
): Compiled {
  const names =
    target.outputNames ??
    Array.from({ length: outputCount }, (_, i) => (outputCount === 1 ? "output" : `output_${i + 1}`));
  const custom = options.customObjects ?? {};
  const optimizer = getOptimizer(options.optimizer ?? "rmsprop");
  const lossSpec = options.loss;
  const perOutput: (LossLike | null)[] = names.map((name, i) => {
    if (lossSpec === undefined) return null;
    if (Array.isArray(lossSpec)) return (lossSpec as LossLike[])[i] ?? null;
    if (isRecordOf(lossSpec)) return (lossSpec as Record<string, LossLike>)[name] ?? null;
    return lossSpec as LossLike;
  });
  const losses = perOutput.map((l) => (l === null ? null : getLoss(l, custom, options.registry)));
  const lw = options.lossWeights;
  const lossWeights = names.map((name, i) =>
    lw === undefined
      ? 1
      : typeof lw === "number"
        ? lw
        : Array.isArray(lw)
          ? ((lw as number[])[i] ?? 1)
          : ((lw as Record<string, number>)[name] ?? 1),
  );
  const metrics: OutputMetric[] = [];
  const baseNames = new Map<Metric, string>();
  const addMetrics = (list: readonly MetricLike[], output: number, weighted: boolean) => {
    for (const m of list) {
      let metric = getMetric(m, {
        lossClass: losses[output]?.className,
        customObjects: custom,
        registry: options.registry,
      });
      const base = baseNames.get(metric) ?? metric.name;
      const given = typeof m === "string" ? m : (serializeMetric(metric) as JsonValue);
      if (names.length > 1) {
        // One metric object per output, as Keras clones them.
        if (baseNames.has(metric)) metric = metricFromEnvelope(serializeMetric(metric) as JsonObject);
        baseNames.set(metric, base);
        metric.name = `${names[output]}_${base}`;
      }
      metrics.push({ metric, output, weighted, given });
    }
  };
  const ms = options.metrics;
  if (ms !== undefined) {
    if (isRecordOf(ms)) {
      names.forEach((name, i) => {
        const v = (ms as Record<string, MetricLike | MetricLike[]>)[name];
        if (v !== undefined) addMetrics(Array.isArray(v) ? v : [v as MetricLike], i, false);
      });
    } else if ((ms as unknown[]).every((m) => Array.isArray(m)) && names.length > 1) {
      (ms as MetricLike[][]).forEach((list, i) => {
        addMetrics(list, i, false);
      });
    } else {
      names.forEach((_, i) => {
        addMetrics(ms as MetricLike[], i, false);
      });
    }
  }
  const weighted = options.weightedMetrics;
  if (weighted !== undefined) {
    names.forEach((_, i) => {
      addMetrics(weighted, i, true);
    });
  }
  const config: JsonObject = {
    loss: lossConfig(lossSpec, losses, names),
    loss_weights: lw === undefined ? null : (lw as JsonValue),
    metrics:
      ms === undefined
        ? null
        : metricsConfig(
            ms,
            metrics.filter((m) => !m.weighted),
            names,
          ),
    weighted_metrics:
      options.weightedMetrics === undefined ? null : metrics.filter((m) => m.weighted).map((m) => m.given),
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: false,
  };
  const trackers = names.length > 1 ? names.map((n, i) => (losses[i] === null ? null : new Mean(`${n}_loss`))) : [null];
  return new Compiled(optimizer, losses, lossWeights, metrics, names, config, trackers);
}

/**
 * Compile options from a Keras 3 `compile_config` or a Keras 2 `training_config` (they differ
 * in `optimizer` vs `optimizer_config`).
 */
export function compileOptionsFromConfig(config: JsonObject): CompileOptions {
  const opt = config.optimizer ?? config.optimizer_config;
  if (!isJsonObject(opt) && typeof opt !== "string") {
    throw new EngineError(
      "invalid-config",
      cannot("read", "the compile config", 'it has no "optimizer" (Keras 3) or "optimizer_config" (Keras 2)'),
    );
  }
  const out: { -readonly [K in keyof CompileOptions]: CompileOptions[K] } = { optimizer: opt };
  const loss = config.loss;
  if (loss !== null && loss !== undefined) out.loss = loss as LossLike;
  const lw = config.loss_weights;
  if (lw !== null && lw !== undefined) out.lossWeights = lw as number[];
  const metrics = config.metrics;
  if (Array.isArray(metrics)) out.metrics = flattenMetrics(metrics) as MetricLike[];
  const weighted = config.weighted_metrics;
  if (Array.isArray(weighted)) out.weightedMetrics = flattenMetrics(weighted) as MetricLike[];
  return out;
}

// As given: a flat list stays flat, a list per output stays per output, an object by name stays one.
function metricsConfig(
  given: NonNullable<CompileOptions["metrics"]>,
  metrics: readonly OutputMetric[],
  names: readonly string[],
): JsonValue {
  if (isRecordOf(given)) {
    const out: JsonObject = {};
    names.forEach((name, i) => {
      const list = metrics.filter((m) => m.output === i).map((m) => m.given);
      if (list.length > 0) out[name] = list;
    });
    return out;
  }
  if (names.length > 1 && (given as unknown[]).every((m) => Array.isArray(m)))
    return names.map((_, i) => metrics.filter((m) => m.output === i).map((m) => m.given));
  return metrics.filter((m) => m.output === 0).map((m) => m.given);
}

// Keras 2 configs nest metrics per output ([["accuracy"]]); one output keeps the inner list.
function flattenMetrics(list: JsonValue[]): JsonValue[] {
  return list.length === 1 && Array.isArray(list[0]) ? list[0] : list;
}

function lossConfig(
  spec: CompileOptions["loss"],
  losses: readonly (Loss | null)[],
  names: readonly string[],
): JsonValue {
  if (spec === undefined) return null;
  const one = (l: LossLike, loss: Loss | null): JsonValue =>
    typeof l === "string" ? l : loss === null ? null : serializeLoss(loss);
  if (Array.isArray(spec)) return (spec as LossLike[]).map((l, i) => one(l, losses[i] ?? null));
  if (isRecordOf(spec))
    return Object.fromEntries(
      Object.entries(spec as Record<string, LossLike>).map(([k, l]) => [k, one(l, losses[names.indexOf(k)] ?? null)]),
    );
  return one(spec as LossLike, losses[0] ?? null);
}

// A plain object keyed by output name, not a config envelope or a Loss/Metric.
function isRecordOf(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Loss) &&
    !("class_name" in value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}
