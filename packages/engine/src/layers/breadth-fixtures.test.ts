import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { type HostTensor, type JsonObject, toFloat32 } from "@kerastore/core";
import { readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { type Model, SGD, clearSession, deserializeLayer, initBackend, registerGradients } from "../index.js";

// The golden fixtures of the layer classes added for layer breadth (issue 20), written by
// packages/fixtures/python/gen_layers_extra.py with Keras 3.15: weight paths, predictions,
// configs layer by layer, and one SGD training step against Keras's.

const GROUP = "layers_extra";

interface IndexEntry {
  name: string;
  inputs: number;
  outputs: number;
  weights: number;
  train: boolean;
}
interface WeightPath {
  path: string;
  shape: number[];
  trainable: boolean;
}

function worstError(actual: HostTensor, expected: HostTensor, rtol: number): number {
  if (actual.shape.join() !== expected.shape.join()) return Number.POSITIVE_INFINITY;
  const a = toFloat32(actual);
  const e = toFloat32(expected);
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i]! - e[i]!) - rtol * Math.abs(e[i]!));
  return worst;
}

const entries = readFixtureJson<{ models: IndexEntry[] }>(GROUP, "index.json").models;

function load(name: string): Model {
  clearSession();
  return deserializeLayer(readFixtureJson<JsonObject>(GROUP, name, "config.json"), {}) as Model;
}

function withWeights(entry: IndexEntry): Model {
  const model = load(entry.name);
  model.setWeights(
    Array.from({ length: entry.weights }, (_, i) => readFixtureNpy(GROUP, entry.name, "weights", `${i}.npy`)),
  );
  return model;
}

const inputsOf = (entry: IndexEntry) =>
  Array.from({ length: entry.inputs }, (_, i) => readFixtureNpy(GROUP, entry.name, `input${i}.npy`));

beforeAll(async () => {
  await initBackend();
  await registerGradients();
});

describe.each(entries.map((e) => [e.name, e] as const))("layer breadth fixture %s", (name, entry) => {
  it("has Keras's weight paths, shapes, trainable flags and order", () => {
    const model = load(name);
    const expected = readFixtureJson<WeightPath[]>(GROUP, name, "weight_paths.json");
    expect(model.weights.map((w) => w.path)).toEqual(
      readFixtureJson<string[]>(GROUP, name, "loaded_weight_paths.json"),
    );
    expect(model.weights.map((w) => w.shape)).toEqual(expected.map((w) => w.shape));
    expect(model.weights.map((w) => w.trainable)).toEqual(expected.map((w) => w.trainable));
  });

  it("predicts what Keras predicted with the fixture's weights (and its activity losses)", () => {
    const model = withWeights(entry);
    const inputs = inputsOf(entry);
    const out = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
    const outs = Array.isArray(out) ? out : [out];
    expect(outs.length).toBe(entry.outputs);
    for (const [i, o] of outs.entries())
      expectAllClose(o, readFixtureNpy(GROUP, name, `output${i}.npy`), {
        rtol: 1e-5,
        atol: 1e-5,
        label: `output ${i}`,
      });
  });

  it("writes the config Keras wrote, layer by layer, and reads it back the same", () => {
    const model = load(name);
    const envelope = readFixtureJson<JsonObject>(GROUP, name, "config.json");
    const expected = (envelope.config as JsonObject).layers as JsonObject[];
    const actual = model.getConfig().layers as JsonObject[];
    expect(actual.length).toBe(expected.length);
    for (const [i, layer] of expected.entries()) expect({ i, ...actual[i]! }).toEqual({ i, ...layer });
    expect(model.toConfig()).toEqual(envelope);
    clearSession();
    const again = deserializeLayer(model.toConfig(), {}) as Model;
    expect(again.toConfig()).toEqual(model.toConfig());
  });

  // Models with a random layer in training (dropout, noise) or no trainable weight have no step.
  if (!entry.train) return;
  it("trains one SGD step as Keras did (loss and every weight after)", async () => {
    const model = withWeights(entry);
    model.compile({ optimizer: new SGD({ learningRate: 0.1 }), loss: "mse" });
    const inputs = inputsOf(entry);
    const targets = Array.from({ length: entry.outputs }, (_, i) => readFixtureNpy(GROUP, name, `target${i}.npy`));
    const logs = await model.trainOnBatch(
      (inputs.length === 1 ? inputs[0]! : inputs) as never,
      (targets.length === 1 ? targets[0]! : targets) as never,
    );
    const expectedLoss = readFixtureJson<{ loss: number }>(GROUP, name, "train.json").loss;
    expect(Math.abs((logs.loss as number) - expectedLoss)).toBeLessThanOrEqual(1e-5 * Math.abs(expectedLoss) + 1e-6);
    const after = model.getWeights();
    const off: string[] = [];
    for (const [i, w] of after.entries()) {
      const expected = readFixtureNpy(GROUP, name, "weights_after", `${i}.npy`);
      const worst = worstError(w, expected, 1e-4);
      if (worst > 1e-5) off.push(`${model.weights[i]!.path}: ${worst}`);
    }
    expect(off).toEqual([]);
  });
});
