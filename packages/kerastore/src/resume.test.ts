import { MemoryStore } from "@kerastore/core";
import { type Model, clearSession, tf } from "@kerastore/engine";
import { beforeAll, describe, expect, it } from "vitest";
import { type SavableModel, Sequential, keras, loadModel, loadWeights, saveModel, saveWeights } from "./node.js";

// Optimizer state survives every format that carries it: a model trained a few steps, saved,
// loaded (or its weights restored into a fresh compiled twin) takes the same next step as the
// original. Python's side of the same round trips: packages/interop/test/resume.test.ts.

let x: tf.Tensor2D;
let y: tf.Tensor2D;

function build(): SavableModel {
  clearSession();
  return new Sequential({
    name: "resume",
    layers: [
      keras.Input({ shape: [5] }),
      new keras.layers.Dense({ units: 4, activation: "tanh", name: "h" }),
      new keras.layers.Dense({ units: 2, name: "o" }),
    ],
  });
}

async function trained(optimizer: string): Promise<SavableModel> {
  const model = build();
  model.compile({ optimizer, loss: "mean_squared_error", metrics: ["mae"] });
  await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  return model;
}

/** The weights after one more step. */
async function nextStep(model: Model): Promise<Float32Array[]> {
  await model.trainOnBatch(x, y);
  return model.weights.map((w) => Float32Array.from(w.value.dataSync()));
}

function expectSame(a: Float32Array[], b: Float32Array[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) expect(Math.abs(w[j]! - b[i]![j]!), `weight ${i}[${j}]`).toBeLessThan(1e-6);
  });
}

beforeAll(async () => {
  await keras.ready();
  x = tf.tensor2d(
    Array.from({ length: 16 * 5 }, (_, i) => Math.sin(i * 0.37)),
    [16, 5],
  );
  y = tf.tensor2d(
    Array.from({ length: 16 * 2 }, (_, i) => Math.cos(i * 0.21)),
    [16, 2],
  );
});

describe.each(["adam", "rmsprop", "sgd", "adagrad", "nadam"])("resuming %s", (optimizer) => {
  for (const [file, options] of [
    ["m.keras", {}],
    ["m.h5", {}],
    ["m3.h5", { settings: { dialect: "keras3" } }],
  ] as const) {
    it(`from ${file}${"settings" in options ? " (Keras 3 dialect)" : ""}: loads compiled, same optimizer state, same next step`, async () => {
      const store = new MemoryStore();
      const model = await trained(optimizer);
      await saveModel(model, { store, path: file }, options);
      const loaded = await loadModel({ store, path: file }, { onWarning: (m) => expect.fail(m) });
      expect(loaded.optimizer?.className).toBe(model.optimizer?.className);
      expect(loaded.optimizer?.iterations).toBe(4);
      const ours = model.optimizer!.getWeights();
      const theirs = loaded.optimizer!.getWeights();
      expect(theirs.length).toBe(ours.length);
      expect(loaded.compileConfig).toEqual(model.compileConfig);
      expectSame(await nextStep(loaded), await nextStep(model));
    });
  }

  it("from .weights.h5 into a compiled twin (optimizer/vars as Keras 3's save_weights)", async () => {
    const store = new MemoryStore();
    const model = await trained(optimizer);
    await saveWeights(model, { store, path: "w.weights.h5" });
    const twin = build();
    twin.compile({ optimizer, loss: "mean_squared_error" });
    await loadWeights(twin, { store, path: "w.weights.h5" });
    expect(twin.optimizer?.iterations).toBe(4);
    expectSame(await nextStep(twin), await nextStep(model));
  });

  it("from a TF checkpoint (saveWeights(prefix)) into a compiled twin", async () => {
    const store = new MemoryStore();
    const model = await trained(optimizer);
    await saveWeights(model, { store, path: "ckpt/step" });
    const twin = build();
    twin.compile({ optimizer, loss: "mean_squared_error" });
    const { status } = await loadWeights(twin, { store, path: "ckpt/step" });
    status?.assertConsumed();
    expect(twin.optimizer?.iterations).toBe(4);
    expectSame(await nextStep(twin), await nextStep(model));
  });
});

describe("optimizer objects from the keras namespace", () => {
  it("an SGD with Nesterov momentum from keras.optimizers resumes from .keras with its config", async () => {
    const store = new MemoryStore();
    const model = build();
    model.compile({
      optimizer: new keras.optimizers.SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
      loss: "mean_squared_error",
    });
    await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    await saveModel(model, { store, path: "sgd.keras" });
    const loaded = await loadModel({ store, path: "sgd.keras" });
    expect(loaded.optimizer?.getConfig()).toMatchObject({
      learning_rate: Math.fround(0.05),
      momentum: 0.9,
      nesterov: true,
    });
    expectSame(await nextStep(loaded), await nextStep(model));
  });
});

describe("compile: false and uncompiled models", () => {
  it("loadModel(..., { compile: false }) skips the compile information and the optimizer", async () => {
    const store = new MemoryStore();
    await saveModel(await trained("adam"), { store, path: "m.keras" });
    const loaded = await loadModel({ store, path: "m.keras" }, { compile: false });
    expect(loaded.optimizer).toBeUndefined();
  });

  it("an uncompiled model saves no optimizer and loads uncompiled", async () => {
    const store = new MemoryStore();
    await saveModel(build(), { store, path: "m.h5" });
    const loaded = await loadModel({ store, path: "m.h5" });
    expect(loaded.optimizer).toBeUndefined();
    expect(loaded.compileConfig).toEqual({});
  });

  it("a compiled but untrained model round-trips compiled, its optimizer at step 0", async () => {
    const store = new MemoryStore();
    const model = build();
    model.compile({ optimizer: "adam", loss: "mean_squared_error" });
    for (const path of ["u.keras", "u.h5"]) {
      await saveModel(model, { store, path });
      const loaded = await loadModel({ store, path }, { onWarning: (m) => expect.fail(m) });
      expect(loaded.optimizer?.iterations).toBe(0);
      expect(loaded.compileConfig).toEqual(model.compileConfig);
    }
  });

  it("a file's optimizer state that does not fit the model is skipped with a warning, as Keras does", async () => {
    const store = new MemoryStore();
    await saveWeights(await trained("adam"), { store, path: "w.weights.h5" });
    const twin = build();
    twin.compile({ optimizer: "sgd", loss: "mean_squared_error" });
    const warnings: string[] = [];
    await loadWeights(twin, { store, path: "w.weights.h5" }, { onWarning: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(
      /optimizer state of w.weights.h5 was not restored: the file holds \d+ optimizer variables, SGD on this model has 2/,
    );
    expect(twin.optimizer?.iterations).toBe(0);
  });
});
