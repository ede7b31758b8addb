import * as tf from "@tensorflow/tfjs-core";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import type { JsonObject } from "@kerastore/core";
import { compile, fit, getOptimizer, type TrainTarget } from "../index.js";
import {
  type FixtureModel,
  buildEmbeddingModel,
  buildFixtureModel,
  readFixtureModel,
  toTensor,
} from "./fixture-models.test-util.js";

interface Trajectory {
  model: "mlp" | "two_input";
  loss: string;
  metrics: string[];
  optimizer: JsonObject;
  fit: {
    validation_split?: number;
    sample_weight?: boolean;
    class_weight?: Record<string, number>;
    initial_epoch?: number;
  };
  history: Record<string, number[]>;
  final_weights: number[][];
  optimizer_variables: { path: string; name: string; dtype: string; shape: number[]; values: number[] }[];
  predict: number[];
  evaluate: number[];
}

const index = readFixtureJson("training/index.json") as unknown as { trajectories: string[] };

/** Largest |a - b| / (|b| + floor) over two arrays; floor keeps near-zero entries meaningful. */
function worstRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, floor: number): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (Math.abs(expected[i]!) + floor));
  return worst;
}

async function run(name: string) {
  const t = readFixtureJson(`training/trajectories/${name}.json`) as unknown as Trajectory;
  const fixture = readFixtureModel(t.model);
  const model = buildFixtureModel(t.model, fixture);
  const compiled = compile({ outputNames: undefined } as Pick<TrainTarget, "outputNames">, {
    optimizer: getOptimizer(t.optimizer),
    loss: t.loss,
    metrics: t.metrics,
  });
  const xs = fixture.x.map(toTensor);
  const y = toTensor(fixture.y);
  const sw = t.fit.sample_weight ? tf.tensor1d(fixture.sample_weight) : undefined;
  const classWeight =
    t.fit.class_weight === undefined
      ? undefined
      : Object.fromEntries(Object.entries(t.fit.class_weight).map(([k, v]) => [Number(k), v]));
  const history = await fit(model, compiled, xs, y, {
    epochs: 3,
    batchSize: 16,
    shuffle: false,
    verbose: 0,
    ...(t.fit.validation_split === undefined ? {} : { validationSplit: t.fit.validation_split }),
    ...(t.fit.initial_epoch === undefined ? {} : { initialEpoch: t.fit.initial_epoch }),
    ...(sw === undefined ? {} : { sampleWeight: sw }),
    ...(classWeight === undefined ? {} : { classWeight }),
  });
  return { t, model, compiled, history, xs, y };
}

describe("training trajectories match Keras 3 on TensorFlow (3 epochs, batch 16, no shuffle)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("covers every optimizer on both models", () => {
    for (const opt of [
      "sgd",
      "sgd_momentum",
      "sgd_nesterov",
      "adam",
      "adam_amsgrad",
      "adamw",
      "rmsprop",
      "rmsprop_centered",
      "adagrad",
      "adadelta",
      "adamax",
      "nadam",
    ]) {
      expect(index.trajectories).toContain(`mlp__${opt}`);
      expect(index.trajectories).toContain(`two_input__${opt}`);
    }
  });

  // The layer models (cnn, lstm, embedding) train through the engine's layers: engine-models.test.ts.
  for (const name of index.trajectories.filter((n) => n.startsWith("mlp__") || n.startsWith("two_input__"))) {
    it(name, async () => {
      const { t, model, compiled, history } = await run(name);
      // History: same keys, every epoch within 1e-4 relative.
      expect(Object.keys(history.history).sort()).toEqual(Object.keys(t.history).sort());
      for (const [key, values] of Object.entries(t.history)) {
        expect(worstRelative(history.history[key]!, values, 1e-6), key).toBeLessThan(1e-4);
      }
      // Final weights within 1e-4 relative (floor 1e-3 for entries near zero).
      model.variables.forEach((v, i) => {
        expect(worstRelative(v.value.dataSync(), t.final_weights[i]!, 1e-3), v.path).toBeLessThan(1e-4);
      });
      // Optimizer variables: same paths, names, order and values.
      const ours = compiled.optimizer.variables();
      expect(ours.map((v) => v.path)).toEqual(t.optimizer_variables.map((v) => v.path));
      expect(ours.map((v) => v.dtype)).toEqual(t.optimizer_variables.map((v) => v.dtype));
      const values = compiled.optimizer.getWeights();
      t.optimizer_variables.forEach((v, i) => {
        const mine = Array.from(values[i]!, Number);
        expect(worstRelative(mine, v.values, 1e-3), v.path).toBeLessThan(1e-4);
      });
    });
  }
});

describe("an embedding trained with Adam follows Keras: its gradient squared slice by slice, as TensorFlow's IndexedSlices", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("embedding__adam", async () => {
    const t = readFixtureJson("training/trajectories/embedding__adam.json") as unknown as Trajectory & {
      loss: JsonObject;
    };
    const fixture = readFixtureJson("training/models/embedding.json") as unknown as FixtureModel;
    const model = buildEmbeddingModel(fixture);
    const compiled = compile({}, { optimizer: getOptimizer(t.optimizer), loss: t.loss, metrics: t.metrics });
    const history = await fit(model, compiled, fixture.x.map(toTensor), toTensor(fixture.y), {
      epochs: 3,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
    });
    for (const [key, values] of Object.entries(t.history))
      expect(worstRelative(history.history[key]!, values, 1e-6), key).toBeLessThan(1e-4);
    model.variables.forEach((v, i) => {
      expect(worstRelative(v.value.dataSync(), t.final_weights[i]!, 1e-3), v.path).toBeLessThan(1e-4);
    });
    const values = compiled.optimizer.getWeights();
    t.optimizer_variables.forEach((v, i) => {
      expect(worstRelative(Array.from(values[i]!, Number), v.values, 1e-3), v.path).toBeLessThan(1e-4);
    });
  });
});
