import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { deserializeLayer } from "../index.js";
import { Concatenate } from "../layers/merge.js";
import { Dense } from "../layers/dense.js";
import { Input } from "../layers/input-layer.js";
import { Model } from "../model.js";
import { clearSession } from "../names.js";
import { Sequential } from "../sequential.js";
import { compile, fit, getOptimizer, modelTarget } from "../index.js";
import { readFixtureModel, toTensor } from "./fixture-models.test-util.js";

// The engine's own Sequential and Functional models, trained by the free functions through
// modelTarget, follow Keras's trajectories too (the layers' forward, tfjs's gradients).

interface Trajectory {
  history: Record<string, number[]>;
  final_weights: number[][];
  optimizer: JsonObject;
}

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

function twoInput(): Model {
  const a = Input({ shape: [6], name: "a" });
  const b = Input({ shape: [4], name: "b" });
  const ha = new Dense({ units: 8, activation: "relu", name: "dense_a" }).apply(a);
  const hb = new Dense({ units: 8, activation: "sigmoid", name: "dense_b" }).apply(b);
  const h = new Concatenate({ name: "concat" }).apply([ha, hb]);
  const out = new Dense({ units: 3, activation: "softmax", name: "out" }).apply(h);
  return new Model({ inputs: [a, b], outputs: out, name: "two_input" });
}

const worst = (a: ArrayLike<number>, b: ArrayLike<number>, floor: number) => {
  let w = 0;
  for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + floor));
  return w;
};

describe("the engine's models train like Keras through modelTarget", () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const [name, build] of [
    ["mlp", mlp],
    ["two_input", twoInput],
  ] as const) {
    for (const opt of ["sgd_momentum", "adam", "rmsprop_centered", "nadam"]) {
      it(`${name} with ${opt}`, async () => {
        clearSession();
        const fixture = readFixtureModel(name);
        const t = readFixtureJson(`training/trajectories/${name}__${opt}.json`) as unknown as Trajectory;
        const model = build();
        expect(model.weights.map((w) => w.path)).toEqual(fixture.weights.map((w) => w.path));
        model.setWeights(fixture.weights.map((w) => Float32Array.from(w.values)));
        const compiled = compile(
          {},
          {
            optimizer: getOptimizer(t.optimizer),
            loss: name === "mlp" ? "mse" : "categorical_crossentropy",
            metrics: [name === "mlp" ? "mae" : "accuracy"],
          },
        );
        const h = await fit(modelTarget(model), compiled, fixture.x.map(toTensor), toTensor(fixture.y), {
          epochs: 3,
          batchSize: 16,
          shuffle: false,
          verbose: 0,
        });
        for (const [k, v] of Object.entries(t.history)) expect(worst(h.history[k]!, v, 1e-6), k).toBeLessThan(1e-4);
        model.weights.forEach((w, i) => {
          expect(worst(w.value.dataSync(), t.final_weights[i]!, 1e-3), w.path).toBeLessThan(1e-4);
        });
        expect(compiled.optimizer.variables()[2]!.path).toBe(
          name === "mlp"
            ? `${compiled.optimizer.name}/mlp_hidden1_kernel_${opt === "rmsprop_centered" ? "velocity" : "momentum"}`
            : `${compiled.optimizer.name}/dense_a_kernel_${opt === "rmsprop_centered" ? "velocity" : "momentum"}`,
        );
        tf.dispose(model.weights.map((w) => w.value));
      });
    }
  }
});

interface LayerFixture {
  config: JsonObject;
  weights: { path: string; shape: number[]; values: number[] }[];
  x: { dtype: string; shape: number[]; values: number[] }[];
  y: { dtype: string; shape: number[]; values: number[] };
}

interface LayerTrajectory extends Trajectory {
  loss: string | JsonObject;
  metrics: string[];
  optimizer_variables: { path: string; values: number[] }[];
}

describe("the engine's convolution, recurrent and embedding layers train like Keras (Adam, 3 epochs)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const name of ["cnn", "lstm"]) {
    it(name, async () => {
      clearSession();
      const fixture = readFixtureJson(`training/models/${name}.json`) as unknown as LayerFixture;
      const t = readFixtureJson(`training/trajectories/${name}__adam.json`) as unknown as LayerTrajectory;
      // A model rebuilt from its config: Keras's loaded paths drop the Sequential's own name.
      const model = deserializeLayer(fixture.config, {}) as Model;
      const prefix = `${(fixture.config.config as JsonObject).name as string}/`;
      expect(model.weights.map((w) => w.path)).toEqual(fixture.weights.map((w) => w.path.replace(prefix, "")));
      model.setWeights(fixture.weights.map((w) => Float32Array.from(w.values)));
      const compiled = compile({}, { optimizer: getOptimizer(t.optimizer), loss: t.loss as never, metrics: t.metrics });
      const h = await fit(modelTarget(model), compiled, fixture.x.map(toTensor), toTensor(fixture.y), {
        epochs: 3,
        batchSize: 16,
        shuffle: false,
        verbose: 0,
      });
      for (const [k, v] of Object.entries(t.history).reverse())
        expect(
          worst(h.history[k]!, v, 1e-6),
          `${k}: ${JSON.stringify(h.history[k])} vs ${JSON.stringify(v)}`,
        ).toBeLessThan(1e-4);
      model.weights.forEach((w, i) => {
        expect(worst(w.value.dataSync(), t.final_weights[i]!, 1e-3), w.path).toBeLessThan(1e-4);
      });
      const ours = compiled.optimizer.variables();
      const values = compiled.optimizer.getWeights();
      const slotPrefix = `adam/${prefix.replace("/", "_")}`;
      expect(ours.map((v) => v.path)).toEqual(t.optimizer_variables.map((v) => v.path.replace(slotPrefix, "adam/")));
      t.optimizer_variables.forEach((v, i) => {
        expect(worst(Array.from(values[i]!, Number), v.values, 1e-3), v.path).toBeLessThan(1e-4);
      });
      tf.dispose(model.weights.map((w) => w.value));
    });
  }
});
