// Issue 16 (4): a .weights.h5 of an RNN model, both ways. Python Keras's loads into Kerastore's
// model (the unit test, packages/kerastore/src/rnn-weights.test.ts); here, the one Kerastore
// writes from a loaded model (its `cell` group) loads into Python Keras with the same predictions.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePath } from "@kerastore/fixtures";
import { keras } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "kerastore-rnn-weights-"));

const CHECK = `
import sys, json, numpy as np, keras
arch, ours, x, y = sys.argv[1:5]
m = keras.models.load_model(arch)
for v in m.weights:
    v.assign(np.zeros(v.shape, dtype=v.dtype))
m.load_weights(ours)
pred = np.asarray(m(np.load(x), training=False))
print(json.dumps({"err": float(np.max(np.abs(pred - np.load(y))))}))
`;

describe.each(["lstm", "gru", "simple_rnn"])("%s: Kerastore's .weights.h5", (name) => {
  beforeAll(async () => {
    await keras.ready();
  });

  it("loads into Python Keras and predicts what Keras predicted", { timeout: 600_000 }, async () => {
    const model = await keras.models.loadModel(fixturePath("models", name, "model.keras"));
    const path = join(dir, `${name}.weights.h5`);
    await model.saveWeights(path);
    model.dispose();
    const args = [
      fixturePath("models", name, "model.keras"),
      path,
      fixturePath("models", name, "input0.npy"),
      fixturePath("models", name, "output0.npy"),
    ];
    const result = await runPythonJson<{ err: number }>(CHECK, { args });
    expect(result.err).toBeLessThan(1e-5);
  });
});
