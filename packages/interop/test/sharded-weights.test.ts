// Keras 3 sharded weights (`save_weights("x.weights.json", max_shard_size=...)`), both ways:
// Keras's shards load into our model, ours into Keras's, with the same split and index.
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, readNpy } from "@kerastore/core";
import { keras } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { runPython, runPythonJson } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "kerastore-sharded-"));
// About 4.3 KB per shard (the largest variable has 3840 bytes): the model below needs several.
const SHARD_GB = 0.000004;

const WRITE = `
import sys, numpy as np, keras
d, gb = sys.argv[1], float(sys.argv[2])
keras.utils.set_random_seed(7)
inp = keras.Input((12,), name="features")
h = keras.layers.Dense(40, activation="relu", name="hidden")(inp)
h = keras.layers.Dense(24, activation="tanh", name="hidden2")(h)
out = keras.layers.Dense(3, name="logits")(h)
m = keras.Model(inp, out)
m.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
m.save(d + "/model.keras")  # before training: W0, no optimizer state
x = np.random.default_rng(1).normal(size=(16, 12)).astype("float32")
y = np.random.default_rng(2).normal(size=(16, 3)).astype("float32")
m.fit(x, y, epochs=2, batch_size=8, verbose=0)  # 4 steps
m.save_weights(d + "/keras.weights.json", max_shard_size=gb)
np.save(d + "/x.npy", x)
np.save(d + "/pred.npy", np.asarray(m(x, training=False)))
`;

const CHECK = `
import sys, json, numpy as np, keras
d = sys.argv[1]
ref = keras.models.load_model(d + "/model.keras")
ref.load_weights(d + "/keras.weights.json")
ours = keras.models.load_model(d + "/model.keras")
ours.load_weights(d + "/ours.weights.json")
x = np.load(d + "/x.npy")
pred = np.load(d + "/pred.npy")
a = [np.asarray(v, dtype=np.float64) for v in ours.optimizer.variables]
b = [np.asarray(v, dtype=np.float64) for v in ref.optimizer.variables]
print(json.dumps({
  "pred_err": float(np.max(np.abs(np.asarray(ours(x, training=False)) - pred))),
  "iterations": int(ours.optimizer.iterations.numpy()),
  "opt_count": [len(a), len(b)],
  "opt_diff": max(float(np.max(np.abs(p - q))) for p, q in zip(a, b)),
}))
`;

function maxAbsDiff(a: HostTensor, b: HostTensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
}

describe("Keras 3 sharded weights", () => {
  beforeAll(async () => {
    await keras.ready();
    const r = await runPython(WRITE, { args: [dir, String(SHARD_GB)] });
    if (r.code !== 0) throw new Error(r.stderr);
  }, 120_000);

  it("Keras's shards load into our model: predictions and optimizer step count as Keras had them", async () => {
    const shards = readdirSync(dir).filter((f) => /^keras_\d{5}\.weights\.h5$/.test(f));
    expect(shards.length).toBeGreaterThan(2);
    const model = await keras.models.loadModel(join(dir, "model.keras"));
    const x = readNpy(readFileSync(join(dir, "x.npy")));
    const before = model.predict(x) as HostTensor;
    const result = await model.loadWeights(join(dir, "keras.weights.json"));
    expect(result.format).toBe("weights-json");
    expect(result.loaded).toBe(6);
    const pred = readNpy(readFileSync(join(dir, "pred.npy")));
    expect(maxAbsDiff(before, pred)).toBeGreaterThan(1e-3); // the shards changed something
    expect(maxAbsDiff(model.predict(x) as HostTensor, pred)).toBeLessThan(1e-5);
    expect(model.optimizer?.iterations).toBe(4);

    // Our shards of the same weights: the same split and index as Keras's, byte for byte.
    await model.saveWeights(join(dir, "ours.weights.json"), { maxShardSize: SHARD_GB });
    const oursIndex = readFileSync(join(dir, "ours.weights.json"), "utf8").replaceAll("ours_", "keras_");
    expect(oursIndex).toBe(readFileSync(join(dir, "keras.weights.json"), "utf8"));
    expect(readdirSync(dir).filter((f) => /^ours_\d{5}\.weights\.h5$/.test(f)).length).toBe(shards.length);
  });

  it("our shards load in Keras's load_weights with the same predictions and optimizer state", async () => {
    const out = await runPythonJson<{ pred_err: number; iterations: number; opt_count: number[]; opt_diff: number }>(
      CHECK,
      { args: [dir] },
    );
    expect(out.pred_err).toBeLessThan(1e-5);
    expect(out.iterations).toBe(4);
    expect(out.opt_count[0]).toBe(out.opt_count[1]);
    expect(out.opt_diff).toBe(0);
  }, 120_000);

  it("a .weights.h5 path with maxShardSize becomes the .weights.json index, as in Keras", async () => {
    const model = await keras.models.loadModel(join(dir, "model.keras"));
    await model.saveWeights(join(dir, "renamed.weights.h5"), { maxShardSize: 1 });
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith("renamed"))
        .sort(),
    ).toEqual(["renamed.weights.json", "renamed_00000.weights.h5"]);
  });
});
