import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Adam,
  Dense,
  Input,
  type Model,
  Sequential,
  clearSession,
  compileFromSaved,
  deserializeLayer,
  fromSavedModelData,
  initBackend,
  toSavedModelData,
} from "../index.js";
import { readFixtureModel, toTensor } from "./fixture-models.test-util.js";

// The Keras-style methods of Model: compile, fit, evaluate, trainOnBatch, testOnBatch,
// predictOnBatch, optimizer and compileConfig, checked against Keras's recorded trajectories.

interface Trajectory {
  history: Record<string, number[]>;
  final_weights: number[][];
  optimizer: JsonObject;
  loss: string | JsonObject;
  metrics: string[];
  optimizer_variables: { path: string; values: number[] }[];
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>, floor: number) => {
  let w = 0;
  for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return w;
};

function mlp(): Model {
  return new Sequential({
    name: "mlp",
    layers: [
      Input({ shape: [6] }),
      new Dense({ units: 16, activation: "relu", name: "hidden1" }),
      new Dense({ units: 8, activation: "tanh", name: "hidden2" }),
      new Dense({ units: 3, name: "out" }),
    ],
  });
}

describe("Model.compile / fit / evaluate as Keras", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("model.fit follows Keras's Adam trajectory of the MLP, and the optimizer is model.optimizer", async () => {
    clearSession();
    const fixture = readFixtureModel("mlp");
    const t = readFixtureJson("training/trajectories/mlp__adam.json") as unknown as Trajectory;
    const model = mlp();
    model.setWeights(fixture.weights.map((w) => Float32Array.from(w.values)));
    expect(model.optimizer).toBeUndefined();
    model.compile({ optimizer: t.optimizer, loss: "mse", metrics: ["mae"] });
    const h = await model.fit(fixture.x.map(toTensor), toTensor(fixture.y), {
      epochs: 3,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
    });
    for (const [k, v] of Object.entries(t.history)) expect(worst(h.history[k]!, v, 1e-6), k).toBeLessThan(1e-4);
    model.weights.forEach((w, i) => {
      expect(worst(w.value.dataSync(), t.final_weights[i]!, 1e-3), w.path).toBeLessThan(1e-4);
    });
    expect(model.optimizer?.className).toBe("Adam");
    expect(model.optimizer?.iterations).toBe(3 * Math.ceil(fixture.x[0]!.shape[0]! / 16));
    // compile_config comes from the compiled state, optimizer included.
    expect(model.compileConfig).toMatchObject({ loss: "mse", metrics: ["mae"], optimizer: { class_name: "Adam" } });
    expect(model.toConfig().compile_config).toEqual(model.compileConfig);
  });

  it("an Embedding model trained by model.fit follows Keras (the layer looks up with per-occurrence gradients)", async () => {
    clearSession();
    const fixture = readFixtureJson("training/models/embedding.json") as unknown as {
      config: JsonObject;
      weights: { path: string; values: number[] }[];
      x: never[];
      y: never;
    };
    const t = readFixtureJson("training/trajectories/embedding__adam.json") as unknown as Trajectory;
    const model = deserializeLayer(fixture.config, {}) as Model;
    model.setWeights(fixture.weights.map((w) => Float32Array.from(w.values)));
    model.compile({ optimizer: t.optimizer, loss: t.loss as JsonObject, metrics: t.metrics });
    const h = await model.fit(fixture.x.map(toTensor), toTensor(fixture.y), {
      epochs: 3,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
    });
    for (const [k, v] of Object.entries(t.history)) expect(worst(h.history[k]!, v, 1e-6), k).toBeLessThan(1e-4);
    model.weights.forEach((w, i) => {
      expect(worst(w.value.dataSync(), t.final_weights[i]!, 1e-3), w.path).toBeLessThan(1e-4);
    });
  });

  it("a softmax output gives crossentropy its logits: the loss of saturated outputs stays finite and exact", async () => {
    clearSession();
    const inputs = Input({ shape: [2] });
    const model = new Sequential({
      layers: [
        inputs,
        new Dense({ units: 2, activation: "softmax", kernelInitializer: "Ones", biasInitializer: "Zeros" }),
      ],
    });
    model.compile({ optimizer: "sgd", loss: "categorical_crossentropy" });
    // logits [200, 200] + [0, 0] ... make them [0, 400] with a second kernel column.
    model.setWeights([Float32Array.of(0, 100, 0, 100), Float32Array.of(0, 0)]);
    const logs = await model.testOnBatch(tf.tensor2d([[2, 2]]), tf.tensor2d([[1, 0]]));
    // From the logits: log-sum-exp(0, 400) - 0 = 400. From clipped probabilities it would be ~16.1.
    expect(logs.loss).toBeCloseTo(400, 3);
  });

  it("evaluate, trainOnBatch, testOnBatch, predictOnBatch; nothing leaks", async () => {
    clearSession();
    const fixture = readFixtureModel("mlp");
    const model = mlp();
    model.setWeights(fixture.weights.map((w) => Float32Array.from(w.values)));
    model.compile({ optimizer: "adam", loss: "mse", metrics: ["mae"] });
    const x = fixture.x.map(toTensor);
    const y = toTensor(fixture.y);
    const first = await model.trainOnBatch(x, y);
    const before = tf.memory().numTensors;
    const e = await model.evaluate(x, y, { batchSize: 8 });
    const t = await model.testOnBatch(x, y);
    expect(t.loss).toBeCloseTo(e.loss!, 5);
    expect(Object.keys(e)).toEqual(["loss", "mae"]);
    const p = model.predictOnBatch(x[0]!);
    const q = model.predict(x[0]!);
    expect(Array.from((p as { data: Float32Array }).data)).toEqual(Array.from((q as { data: Float32Array }).data));
    const second = await model.trainOnBatch(x, y);
    expect(second.loss).toBeLessThan(first.loss!);
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("fit before compile is a typed error naming the fix", async () => {
    clearSession();
    await expect(mlp().fit(tf.zeros([2, 6]), tf.zeros([2, 3]))).rejects.toThrow(
      /cannot fit model "mlp": it is not compiled; call model.compile/,
    );
  });

  it("a Keras 2 training_config is converted into Keras 3's compile_config, not copied", () => {
    clearSession();
    const model = mlp();
    const training = {
      loss: "mse",
      metrics: [["mae"]],
      weighted_metrics: null,
      loss_weights: null,
      optimizer_config: {
        class_name: "Adam",
        config: {
          name: "Adam",
          learning_rate: 0.005,
          decay: 0.0,
          beta_1: 0.9,
          beta_2: 0.999,
          epsilon: 1e-7,
          amsgrad: false,
        },
      },
    };
    expect(compileFromSaved(model, training)).toBe(true);
    expect(model.optimizer).toBeInstanceOf(Adam);
    expect(model.optimizer?.learningRate).toBeCloseTo(0.005, 7);
    expect(model.compileConfig.optimizer_config).toBeUndefined();
    expect(model.compileConfig).toMatchObject({
      loss: "mse",
      metrics: ["mae"],
      optimizer: { class_name: "Adam", config: { learning_rate: Math.fround(0.005) } },
    });
    // Through the saved tree as well (what a legacy .h5 gives).
    const data = { ...toSavedModelData(mlp()), trainingConfig: training };
    const loaded = fromSavedModelData(data, {}, { match: "topology" });
    expect(loaded.optimizer?.className).toBe("Adam");
    expect(loaded.compileConfig.optimizer).toMatchObject({ class_name: "Adam" });
  });

  it("a config naming an unknown loss leaves the model uncompiled with a warning, as Keras does", () => {
    clearSession();
    const model = mlp();
    const warnings: string[] = [];
    const k3 = {
      optimizer: { class_name: "Adam", config: {} },
      loss: "no_such_loss",
      metrics: null,
      loss_weights: null,
      weighted_metrics: null,
    };
    expect(compileFromSaved(model, k3, { onWarning: (m) => warnings.push(m) })).toBe(false);
    expect(model.optimizer).toBeUndefined();
    expect(warnings[0]).toMatch(/no_such_loss/);
    // A Keras 3 config is kept to be saved again; a Keras 2 one is not a compile_config.
    expect(model.compileConfig).toEqual(k3);
    const other = mlp();
    expect(
      compileFromSaved(other, { loss: "no_such_loss", optimizer_config: { class_name: "Adam", config: {} } }),
    ).toBe(false);
    expect(other.compileConfig).toEqual({});
  });
});
