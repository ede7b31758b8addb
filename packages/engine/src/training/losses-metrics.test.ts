import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { EngineError } from "../errors.js";
import { type FixtureTensor, toTensor } from "./fixture-models.test-util.js";
import {
  type Mean,
  type Sum,
  getLoss,
  getMetric,
  lossFromConfig,
  metricFromEnvelope,
  serializeLoss,
  serializeMetric,
} from "../index.js";

interface LossRow {
  class_name: string;
  kwargs: JsonObject;
  config: JsonObject;
  y_true: FixtureTensor;
  y_pred: FixtureTensor;
  sample_weight: number[];
  value: number;
  weighted: number | null;
  sum: number;
  none: number[];
}

interface MetricRow {
  class_name: string;
  config: JsonObject;
  y_true?: FixtureTensor[];
  y_pred?: FixtureTensor[];
  values?: number[];
  sample_weight: number[][] | number[];
  result?: number;
  weighted: number;
}

const close = (actual: number, expected: number, rel = 1e-5) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-3));

describe("losses match Keras 3 values", () => {
  beforeAll(async () => {
    await initBackend();
  });
  const rows = readFixtureJson("training/losses.json") as unknown as LossRow[];

  rows.forEach((row, i) => {
    it(`${i}: ${row.class_name} ${JSON.stringify(row.kwargs)}`, () => {
      const envelope = row.config;
      // Keras 3.15's get_config drops Huber's delta and CosineSimilarity's axis: add the arguments.
      const loss = getLoss({ ...envelope, config: { ...(envelope.config as JsonObject), ...row.kwargs } });
      const t = toTensor(row.y_true);
      const p = toTensor(row.y_pred);
      close(loss.call(t, p).dataSync()[0]!, row.value);
      if (row.weighted !== null) close(loss.call(t, p, tf.tensor1d(row.sample_weight)).dataSync()[0]!, row.weighted);
      const cfg = envelope.config as JsonObject;
      close(
        lossFromConfig(row.class_name, { ...cfg, reduction: "sum", ...row.kwargs })
          .call(t, p)
          .dataSync()[0]!,
        row.sum,
      );
      const none = lossFromConfig(row.class_name, { ...cfg, reduction: "none", ...row.kwargs })
        .call(t, p)
        .dataSync();
      for (const [k, v] of row.none.entries()) close(none[k]!, v);
      // The config is Keras's own (same keys and values) when the arguments are defaults.
      if (Object.keys(row.kwargs).length === 0) expect(serializeLoss(loss)).toEqual(envelope);
    });
  });

  it("resolves Keras's names and aliases", () => {
    expect(getLoss("mse").className).toBe("MeanSquaredError");
    expect(getLoss("mean_absolute_error").className).toBe("MeanAbsoluteError");
    expect(getLoss("kld").className).toBe("KLDivergence");
    expect(getLoss("logcosh").className).toBe("LogCosh");
    expect(getLoss({ class_name: "Huber", config: { delta: 2, reduction: "auto" } }).getConfig()).toEqual({
      name: "huber_loss",
      reduction: "sum_over_batch_size",
      delta: 2,
    });
    expect(() => getLoss("nope")).toThrow(EngineError);
    expect(() => getLoss("nope")).toThrow(/cannot find loss "nope"/);
    expect(() => getLoss({ class_name: "MeanSquaredError", config: { reduction: "weird" } })).toThrow(
      /unknown reduction/,
    );
  });
});

describe("metrics match Keras 3 values", () => {
  beforeAll(async () => {
    await initBackend();
  });
  const rows = readFixtureJson("training/metrics.json") as unknown as MetricRow[];

  rows.forEach((row, i) => {
    it(`${i}: ${row.class_name} ${JSON.stringify(row.config.config)}`, () => {
      if (row.values !== undefined) {
        const m = metricFromEnvelope(row.config) as Mean | Sum;
        m.updateValues(tf.tensor1d(row.values), tf.tensor1d(row.sample_weight as number[]));
        close(m.result(), row.weighted);
        m.reset();
        expect(m.result()).toBe(0);
        return;
      }
      const plain = metricFromEnvelope(row.config);
      const weighted = metricFromEnvelope(row.config);
      row.y_true!.forEach((yt, k) => {
        const t = toTensor(yt);
        const p = toTensor(row.y_pred![k]!);
        plain.updateState(t, p);
        weighted.updateState(t, p, tf.tensor1d((row.sample_weight as number[][])[k]!));
      });
      close(plain.result(), row.result!);
      close(weighted.result(), row.weighted);
      expect(serializeMetric(plain)).toEqual(row.config);
      plain.reset();
      expect(plain.result()).toBe(0);
    });
  });

  it("resolves 'accuracy' by loss and output like Keras", () => {
    expect(getMetric("accuracy", { lossClass: "SparseCategoricalCrossentropy" }).className).toBe(
      "SparseCategoricalAccuracy",
    );
    expect(getMetric("acc", { lossClass: "BinaryCrossentropy" }).className).toBe("BinaryAccuracy");
    expect(getMetric("accuracy", { lossClass: "CategoricalCrossentropy" }).className).toBe("CategoricalAccuracy");
    expect(getMetric("accuracy", { outputUnits: 1 }).className).toBe("BinaryAccuracy");
    expect(getMetric("mae").name).toBe("mae");
    expect(() => getMetric("nope")).toThrow(/cannot find metric "nope"/);
  });
});

describe("custom losses and metrics", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("come from customObjects or a registry, by name or by Keras 3's function envelope", async () => {
    const { createRegistry } = await import("@kerastore/registry");
    const { compile } = await import("../index.js");
    const doubled = (t: tf.Tensor, p: tf.Tensor) => tf.mul(tf.mean(tf.square(tf.sub(p, t)), -1), 2);
    const hits = (t: tf.Tensor, p: tf.Tensor) => tf.cast(tf.less(tf.abs(tf.sub(p, t)), 0.5), "float32");
    const registry = createRegistry();
    registry.register("doubled_mse", doubled, { kind: "loss" });
    registry.register("hits", hits, { kind: "metric" });
    const c = compile({}, { optimizer: "sgd", loss: "doubled_mse", metrics: ["hits"], registry });
    const t = tf.tensor2d([
      [0, 1],
      [1, 1],
    ]);
    const p = tf.tensor2d([
      [0.5, 1],
      [0, 1],
    ]);
    expect(c.losses[0]!.call(t, p).dataSync()[0]).toBeCloseTo((2 * ((0.25 + 0) / 2 + (1 + 0) / 2)) / 2, 6);
    c.updateMetrics([t], [p], null);
    expect(c.metrics[0]!.metric.result()).toBeCloseTo(0.5, 6);
    expect(c.compileConfig().loss).toBe("doubled_mse");
    const fromEnvelope = getLoss(
      { module: "builtins", class_name: "function", config: "doubled_mse", registered_name: "doubled_mse" },
      { doubled_mse: doubled },
    );
    expect(fromEnvelope.call(t, p).dataSync()[0]).toBeCloseTo(0.625, 6);
    expect(() => compile({}, { optimizer: "sgd", loss: "doubled_mse" })).toThrow(/cannot find loss "doubled_mse"/);
  });
});
