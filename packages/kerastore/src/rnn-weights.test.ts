import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor, NumericHostTensor } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// Issue 16 (4): loadWeights("x.weights.h5") failed for every RNN model (the reader named the
// `cell` edge by the cell's layer name), for Python's files and Kerastore's own.
let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-rnn-weights-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(["lstm", "gru", "simple_rnn"])("%s model", (name) => {
  it("loads Python's model.weights.h5 into its architecture and predicts what Keras predicted", async () => {
    const model = await keras.models.loadModel(fixturePath("models", name, "model.json"));
    const result = await model.loadWeights(fixturePath("models", name, "model.weights.h5"));
    expect(result.loaded).toBeGreaterThan(0);
    const out = model.predict(readFixtureNpy("models", name, "input0.npy")) as HostTensor;
    expectAllClose(out, readFixtureNpy("models", name, "output0.npy"), { rtol: 1e-5, floor: 1e-3, label: name });
    model.dispose();
  });

  it("reads back the .weights.h5 it wrote", async () => {
    const model = await keras.models.loadModel(fixturePath("models", name, "model.keras"));
    const path = join(dir, `${name}.weights.h5`);
    await model.saveWeights(path);
    const fresh = await keras.models.loadModel(fixturePath("models", name, "model.json"));
    await fresh.loadWeights(path);
    const x = readFixtureNpy("models", name, "input0.npy");
    expectAllClose(fresh.predict(x) as HostTensor, model.predict(x) as NumericHostTensor, {
      rtol: 0,
      floor: 1e-3,
      label: name,
    });
    model.dispose();
    fresh.dispose();
  });
});
