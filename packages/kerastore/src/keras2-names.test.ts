import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { LSTM, clearSession, tf } from "@kerastore/engine";
import { readLegacyH5 } from "@kerastore/h5";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli/run.js";
import { keras2WeightNames } from "./keras2-names.js";
import { type SavableModel, Sequential, keras, loadModel, saveModel } from "./node.js";

// tf.keras 2 numbered sublayers of the same name (`lstm_cell`, `lstm_cell_1`, ...), so its weight
// and optimizer-slot names were unique; Keras 3 paths are unique through the layer's scope instead.
// A stacked LSTM written as a Keras 2 dialect .h5 used to fail: "Adam/m/lstm_cell/kernel:0 ... taken".

function stacked(): SavableModel {
  clearSession();
  return new Sequential({
    name: "stack",
    layers: [
      keras.Input({ shape: [6, 3] }),
      new LSTM({ units: 4, returnSequences: true, name: "lstm" }),
      new LSTM({ units: 4, returnSequences: true, name: "lstm_1" }),
      new LSTM({ units: 2, name: "lstm_2" }),
      new keras.layers.Dense({ units: 1, name: "dense" }),
    ],
  });
}

describe("Keras 2 weight names", () => {
  beforeAll(() => keras.ready());

  it("number the cells of stacked LSTMs as tf.keras 2 did and drop the model's scope", () => {
    const names = [...keras2WeightNames(stacked()).values()];
    expect(names).toEqual([
      "lstm/lstm_cell/kernel",
      "lstm/lstm_cell/recurrent_kernel",
      "lstm/lstm_cell/bias",
      "lstm_1/lstm_cell_1/kernel",
      "lstm_1/lstm_cell_1/recurrent_kernel",
      "lstm_1/lstm_cell_1/bias",
      "lstm_2/lstm_cell_2/kernel",
      "lstm_2/lstm_cell_2/recurrent_kernel",
      "lstm_2/lstm_cell_2/bias",
      "dense/kernel",
      "dense/bias",
    ]);
  });

  it("a compiled, trained stacked LSTM saves as .h5 with unique weight and optimizer names, and resumes from it", async () => {
    const model = stacked();
    model.compile({ optimizer: "adam", loss: "mse" });
    const x = tf.randomUniform([8, 6, 3], -1, 1, "float32", 3);
    const y = tf.randomUniform([8, 1], -1, 1, "float32", 4);
    await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    const store = new MemoryStore();
    await saveModel(model, { store, path: "m.h5" });
    const file = await readLegacyH5(await store.read("m.h5"));
    const slots = file.optimizerWeights.map((w) => w.name);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots).toContain("Adam/m/lstm_1/lstm_cell_1/kernel:0");
    expect(file.weights.layers.find((l) => l.name === "lstm_2")!.weightNames).toEqual([
      "lstm_2/lstm_cell_2/kernel:0",
      "lstm_2/lstm_cell_2/recurrent_kernel:0",
      "lstm_2/lstm_cell_2/bias:0",
    ]);
    // Keras 3 cannot deserialize the short name `mse` from a legacy .h5; tf.keras 2 and Keras 3 both read the long one.
    expect(file.trainingConfig?.["loss"]).toBe("mean_squared_error");
    const loaded = await loadModel({ store, path: "m.h5" }, { onWarning: (m) => expect.fail(m) });
    expect(loaded.optimizer?.iterations).toBe(1);
    await model.trainOnBatch(x, y);
    await loaded.trainOnBatch(x, y);
    model.weights.forEach((w, i) => {
      const a = w.value.dataSync();
      const b = loaded.weights[i]!.value.dataSync();
      for (let j = 0; j < a.length; j++) expect(Math.abs(a[j]! - b[j]!)).toBeLessThan(1e-6);
    });
  });
});

const rw = realworld();
describe.skipIf(rw.dir === undefined)(
  `the issue's stacked LSTM${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    it("kerastore convert writes it to .h5 (with its optimizer) and .keras", async () => {
      await keras.ready();
      const dir = mkdtempSync(join(tmpdir(), "kerastore-stacked-"));
      const source = join(rw.dir!, "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5");
      for (const target of ["lstm.h5", "lstm.keras"]) {
        let err = "";
        const code = await runCli(["convert", source, join(dir, target)], {
          stdout: () => undefined,
          stderr: (t) => (err += t),
        });
        expect(code, err).toBe(0);
      }
      const back = await loadModel(join(dir, "lstm.h5"), { onWarning: () => undefined });
      expect(back.optimizer?.className).toBe("Adam");
      expect(back.optimizer!.iterations).toBeGreaterThan(0);
    });
  },
);
