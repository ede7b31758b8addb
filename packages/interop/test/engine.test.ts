import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type HostTensor,
  type JsonObject,
  type NumericHostTensor,
  hostTensor,
  readNpy,
  toFloat32,
  writeNpy,
} from "@kerastore/core";
import {
  Add,
  Concatenate,
  Dense,
  Dropout,
  Input,
  type Model,
  Model as FunctionalModel,
  Multiply,
  Reshape,
  Flatten,
  Sequential,
  Softmax,
  clearSession,
  deserializeLayer,
  initBackend,
} from "@kerastore/engine";
import { beforeAll, describe, expect, it } from "vitest";
import { runPython } from "../src/index.js";

/**
 * Python rebuilds our model from its JSON (keras.models.model_from_json), sets our weights, and
 * predicts on our inputs; the predictions must equal ours. It also reports the weight paths
 * Keras gives the rebuilt model, which must equal ours.
 */
const REBUILD = `
import json, sys, numpy as np, keras
d, n_w, n_in = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
model = keras.models.model_from_json(open(d + "/model.json").read())
model.set_weights([np.load(f"{d}/w{i}.npy") for i in range(n_w)])
xs = [np.load(f"{d}/x{i}.npy") for i in range(n_in)]
ys = model(xs[0] if n_in == 1 else xs, training=False)
ys = ys if isinstance(ys, (list, tuple)) else [ys]
for i, y in enumerate(ys):
    np.save(f"{d}/y{i}.npy", np.asarray(y).astype(np.float32))
print(json.dumps({"outputs": len(ys), "paths": [w.path for w in model.weights], "config_equal": json.loads(json.dumps(model.get_config())) == json.loads(open(d + "/model.json").read())["config"]}))
`;

function randomInput(shape: number[], seed: number): NumericHostTensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    data[i] = (s / 2 ** 31) * 4 - 2;
  }
  return hostTensor("float32", shape, data);
}

async function roundTrip(model: Model, inputs: NumericHostTensor[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kerastore-engine-"));
  writeFileSync(join(dir, "model.json"), model.toJson());
  const weights = model.getWeights();
  weights.forEach((w, i) => {
    writeFileSync(join(dir, `w${i}.npy`), writeNpy(w as NumericHostTensor));
  });
  inputs.forEach((x, i) => {
    writeFileSync(join(dir, `x${i}.npy`), writeNpy(x));
  });
  const ours = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
  const oursList: HostTensor[] = Array.isArray(ours) ? ours : [ours];
  const result = await runPython(REBUILD, { args: [dir, String(weights.length), String(inputs.length)] });
  const report = JSON.parse(result.stdout.trim().split("\n").pop()!) as {
    outputs: number;
    paths: string[];
    config_equal: boolean;
  };
  expect(report.outputs).toBe(oursList.length);
  // Python's model is deserialized, so compare with ours deserialized from the same JSON (a
  // freshly built Sequential's paths carry the model name; a deserialized one's do not).
  const reloaded = deserializeLayer(JSON.parse(model.toJson()) as JsonObject);
  expect(report.paths).toEqual(reloaded.weights.map((w) => w.path));
  expect(report.config_equal).toBe(true);
  oursList.forEach((o, i) => {
    const theirs = readNpy(new Uint8Array(readFileSync(join(dir, `y${i}.npy`))));
    expect(theirs.shape).toEqual(o.shape);
    const a = toFloat32(o);
    const b = toFloat32(theirs);
    for (let k = 0; k < b.length; k++)
      expect(Math.abs(a[k]! - b[k]!)).toBeLessThanOrEqual(1e-5 * Math.abs(b[k]!) + 1e-6);
  });
}

beforeAll(async () => {
  await initBackend();
});

describe("engine models rebuilt by Python Keras", () => {
  it("a two-input, two-output functional model with merges, reshape and softmax", async () => {
    clearSession();
    const a = Input({ shape: [6], name: "a" });
    const b = Input({ shape: [6], name: "b" });
    const shared = new Dense({ units: 4, activation: "tanh", name: "shared" });
    const ha = shared.apply(a);
    const hb = shared.apply(b);
    const merged = new Concatenate({ name: "cat" }).apply([new Add().apply([ha, hb]), new Multiply().apply([ha, hb])]);
    const r = new Flatten().apply(new Reshape({ targetShape: [2, 4] }).apply(merged));
    const out1 = new Softmax({ name: "probs" }).apply(new Dense({ units: 3, name: "head" }).apply(r));
    const out2 = new Dense({ units: 1, activation: "gelu", name: "score" }).apply(new Dropout({ rate: 0.3 }).apply(ha));
    const model = new FunctionalModel({ inputs: [a, b], outputs: [out1, out2], name: "ts_functional" });
    await roundTrip(model, [randomInput([5, 6], 1), randomInput([5, 6], 2)]);
  });

  it("a Sequential model with hard_sigmoid and selu", async () => {
    clearSession();
    const model = new Sequential({
      layers: [
        Input({ shape: [7] }),
        new Dense({ units: 5, activation: "hard_sigmoid" }),
        new Dense({ units: 3, activation: "selu" }),
      ],
      name: "ts_sequential",
    });
    await roundTrip(model, [randomInput([4, 7], 3)]);
  });
});
