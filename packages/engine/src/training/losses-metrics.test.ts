import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { EngineError } from "../errors.js";
import { type FixtureTensor, toTensor } from "./testing/fixture-models.js";
import { type Mean, type Sum, getLoss, getMetric, lossFromConfig, metricFromEnvelope, serializeLoss, serializeMetric } from "./index.js";

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

const close = (actual: number, expected: number, rel = 1e-5) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-3));

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
      close(lossFromConfig(row.class_name, { ...cfg, reduction: "sum", ...row.kwargs }).call(t, p).dataSync()[0]!, row.sum);
      const none = lossFromConfig(row.class_name, { ...cfg, reduction: "none", ...row.kwargs }).call(t, p).dataSync();
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
    expect(getLoss({ class_name: "Huber", config: { delta: 2, reduction: "auto" } }).getConfig()).toEqual({ name: "huber_loss", reduction: "sum_over_batch_size", delta: 2 });
    expect(() => getLoss("nope")).toThrow(EngineError);
    expect(() => getLoss("nope")).toThrow(/cannot find loss "nope"/);
    expect(() => getLoss({ class_name: "MeanSquaredError", config: { reduction: "weird" } })).toThrow(/unknown reduction/);
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
    expect(getMetric("accuracy", { lossClass: "SparseCategoricalCrossentropy" }).className).toBe("SparseCategoricalAccuracy");
    expect(getMetric("acc", { lossClass: "BinaryCrossentropy" }).className).toBe("BinaryAccuracy");
    expect(getMetric("accuracy", { lossClass: "CategoricalCrossentropy" }).className).toBe("CategoricalAccuracy");
    expect(getMetric("accuracy", { outputUnits: 1 }).className).toBe("BinaryAccuracy");
    expect(getMetric("mae").name).toBe("mae");
    expect(() => getMetric("nope")).toThrow(/cannot find metric "nope"/);
  });
});
