import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { fixturePath, readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Model, keras } from "./node.js";

// Keras 2 only layers (packages/fixtures/data/keras2_layers, written by gen_keras2_layers.py in
// tf.keras 2's .h5 layout with h5py): CuDNNLSTM / CuDNNGRU load as LSTM / GRU with Keras 2's
// weight conversion, LocallyConnected1D / 2D as themselves. The expected outputs and SGD step
// come from Keras 3 (CuDNN: LSTM / GRU given the converted weights, checked in the generator
// against numpy's cuDNN recurrences) or from the generator's numpy implementation
// (LocallyConnected: Keras 3 has none).

const GROUP = "keras2_layers";
interface IndexEntry {
  name: string;
  weights: number;
  reference: string;
}
const entries = readFixtureJson<{ models: IndexEntry[] }>(GROUP, "index.json").models;
const LEARNING_RATE = 0.1;

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-keras2-layers-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each(entries.map((e) => [e.name, e] as const))("Keras 2 layer fixture %s", (name, entry) => {
  const npy = (...parts: string[]): HostTensor => readFixtureNpy(GROUP, name, ...parts);

  it("loads the Keras 2 .h5 with the weights Keras 2 loaded, and predicts what it computed", async () => {
    const model = await keras.models.loadModel(fixturePath(GROUP, name, "model.h5"));
    const weights = model.getWeights();
    expect(weights).toHaveLength(entry.weights);
    for (const [i, w] of weights.entries()) expectAllClose(w, npy("weights", `${i}.npy`), { label: `weight ${i}` });
    expectAllClose(model.predict(npy("input0.npy")) as HostTensor, npy("output0.npy"), {
      rtol: 1e-4,
      floor: 1e-2,
      label: "output",
    });
    model.dispose();
  });

  it("takes the SGD step Keras took (or numpy computed)", async () => {
    const model = await keras.models.loadModel(fixturePath(GROUP, name, "model.h5"), { compile: false });
    model.compile({ optimizer: new keras.optimizers.SGD({ learningRate: LEARNING_RATE }), loss: "mse" });
    const logs = await model.trainOnBatch(npy("input0.npy") as never, npy("target0.npy") as never);
    const expected = readFixtureJson<{ loss: number }>(GROUP, name, "train.json");
    expect(Math.abs((logs.loss as number) - expected.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, expected.loss));
    for (const [i, w] of model.getWeights().entries())
      expectAllClose(w, npy("weights_after", `${i}.npy`), { rtol: 1e-4, floor: 1e-2, label: `weight ${i} after` });
    model.dispose();
  });

  it.each(["h5", "keras"])("saves as .%s and loads back predicting the same", async (ext) => {
    const model = await keras.models.loadModel(fixturePath(GROUP, name, "model.h5"));
    const path = join(dir, `${name}.${ext}`);
    await model.save(path);
    const reloaded: Model = await keras.models.loadModel(path);
    expectAllClose(reloaded.predict(npy("input0.npy")) as HostTensor, npy("output0.npy"), {
      rtol: 1e-4,
      floor: 1e-2,
      label: `reloaded .${ext}`,
    });
    model.dispose();
    reloaded.dispose();
  });
});
