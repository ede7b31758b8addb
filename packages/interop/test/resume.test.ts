// Resumed training across Kerastore and Python Keras 3 (TensorFlow), through the files that
// carry optimizer state: a run saved on one side continues on the other with the same next
// step as an uninterrupted run (issues 6, 7; issue 8's TypeScript round trip of a TF
// checkpoint is in packages/kerastore/src/resume.test.ts).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, hostTensor, writeNpy } from "@kerastore/core";
import { type Model, clearSession } from "@kerastore/engine";
import { Sequential, keras, loadModel } from "kerastore";
import { runCli } from "../../kerastore/src/cli/run.js";
import { beforeAll, describe, expect, it } from "vitest";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { runPythonJson } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "kerastore-resume-"));
const x: HostTensor = hostTensor(
  "float32",
  [16, 5],
  Float32Array.from({ length: 80 }, (_, i) => Math.sin(i * 0.37)),
);
const y: HostTensor = hostTensor(
  "float32",
  [16, 2],
  Float32Array.from({ length: 32 }, (_, i) => Math.cos(i * 0.21)),
);

// Python: the same data, and helpers to compare weights.
const PRELUDE = `
import os, sys, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras, h5py
d = sys.argv[1]
x = np.load(d + "/x.npy"); y = np.load(d + "/y.npy")
def weights(m): return [w.numpy().reshape(-1).tolist() for w in m.weights]
def model():
    return keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="tanh", name="h"), keras.layers.Dense(2, name="o")], name="resume")
`;

function build(): Sequential {
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

async function trainedInTs(): Promise<Sequential> {
  const model = build();
  model.compile({ optimizer: "adam", loss: "mean_squared_error" });
  await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
  return model;
}

const flat = (m: Model): number[][] => m.weights.map((w) => Array.from(w.value.dataSync()));
const predicted = (m: Model): number[] => Array.from((m.predict(x) as HostTensor).data as Float32Array);

async function cli(...argv: string[]): Promise<void> {
  let err = "";
  const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (err += t) });
  expect(code, err).toBe(0);
}

beforeAll(async () => {
  await keras.ready();
  writeFileSync(join(dir, "x.npy"), writeNpy(x));
  writeFileSync(join(dir, "y.npy"), writeNpy(y));
});

describe("issue 6: legacy .h5 and .weights.h5", () => {
  it("our .h5 and .weights.h5 load in Keras with equal predictions; Keras resumes from our optimizer_weights with TypeScript's next step", async () => {
    const model = await trainedInTs();
    await model.save(join(dir, "ours.h5"));
    await model.saveWeights(join(dir, "ours.weights.h5"));
    const before = predicted(model);
    await model.trainOnBatch(x, y);
    const py = await runPythonJson<{
      h5: number[];
      w: number[];
      names: string[];
      next: number[][];
      iterations: number;
    }>(
      `${PRELUDE}
loaded = keras.models.load_model(d + "/ours.h5", compile=False)
h5 = loaded.predict(x, verbose=0).reshape(-1).tolist()
twin = model(); twin.load_weights(d + "/ours.weights.h5")
w = twin.predict(x, verbose=0).reshape(-1).tolist()
# Reference quirk 2: Keras 3 does not resume from a legacy .h5 on its own; build, compile,
# build the optimizer and assign our optimizer_weights in order (Keras 2 lists no learning rate).
loaded.compile(optimizer="adam", loss="mean_squared_error")
loaded.optimizer.build(loaded.trainable_variables)
f = h5py.File(d + "/ours.h5")
names = [n.decode() if isinstance(n, bytes) else n for n in f["optimizer_weights"].attrs["weight_names"]]
targets = [v for v in loaded.optimizer.variables if v.path.split("/")[-1] != "learning_rate"]
for v, n in zip(targets, names): v.assign(np.asarray(f["optimizer_weights"][n]).reshape(v.shape))
it = int(loaded.optimizer.iterations.numpy())
loaded.train_on_batch(x, y)
print(json.dumps({"h5": h5, "w": w, "names": names, "next": weights(loaded), "iterations": it}))
`,
      { args: [dir] },
    );
    expectAllClose(py.h5, before, { atol: 1e-6, label: "predictions from our .h5" });
    expectAllClose(py.w, before, { atol: 1e-6, label: "predictions from our .weights.h5" });
    expect(py.names.slice(0, 2)).toEqual(["iteration:0", "Adam/m/h/kernel:0"]);
    expect(py.iterations).toBe(4);
    expectAllClose(py.next, flat(model), { atol: 1e-6, label: "weights after the resumed step" });
  });

  it("Python's .h5 resumes in TypeScript like Python's in-memory continuation", async () => {
    const py = await runPythonJson<{ next: number[][] }>(
      `${PRELUDE}
keras.utils.set_random_seed(3)
m = model()
m.compile(optimizer="adam", loss="mean_squared_error")
m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
m.save(d + "/py.h5")
m.train_on_batch(x, y)
print(json.dumps({"next": weights(m)}))
`,
      { args: [dir] },
    );
    const loaded = await loadModel(join(dir, "py.h5"), { onWarning: (m) => expect.fail(m) });
    expect(loaded.optimizer?.iterations).toBe(4);
    await loaded.trainOnBatch(x, y);
    expectAllClose(flat(loaded), py.next, { atol: 1e-6, label: "weights after the resumed step" });
  });
});

describe("issue 7: the .keras archive", () => {
  it("our .keras loads in Keras compiled, with equal predictions, and resumes with TypeScript's next step", async () => {
    const model = await trainedInTs();
    await model.save(join(dir, "ours.keras"));
    const before = predicted(model);
    await model.trainOnBatch(x, y);
    const py = await runPythonJson<{
      pred: number[];
      compiled: boolean;
      loss: string;
      iterations: number;
      next: number[][];
    }>(
      `${PRELUDE}
m = keras.models.load_model(d + "/ours.keras")
pred = m.predict(x, verbose=0).reshape(-1).tolist()
it = int(m.optimizer.iterations.numpy())
m.train_on_batch(x, y)
print(json.dumps({"pred": pred, "compiled": m.compiled, "loss": m.loss, "iterations": it, "next": weights(m)}))
`,
      { args: [dir] },
    );
    expectAllClose(py.pred, before, { atol: 1e-6, label: "predictions from our .keras" });
    expect(py.compiled).toBe(true);
    expect(py.loss).toBe("mean_squared_error");
    expect(py.iterations).toBe(4);
    expectAllClose(py.next, flat(model), { atol: 1e-6, label: "weights after the resumed step" });
  });

  it("Python's .keras resumes in TypeScript with Python's next step", async () => {
    const py = await runPythonJson<{ next: number[][] }>(
      `${PRELUDE}
keras.utils.set_random_seed(4)
m = model()
m.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.5), loss="mean_squared_error", metrics=["mae"])
m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
m.save(d + "/py.keras")
m.train_on_batch(x, y)
print(json.dumps({"next": weights(m)}))
`,
      { args: [dir] },
    );
    const loaded = await loadModel(join(dir, "py.keras"), { onWarning: (m) => expect.fail(m) });
    expect(loaded.optimizer?.className).toBe("RMSprop");
    expect(loaded.optimizer?.iterations).toBe(4);
    await loaded.trainOnBatch(x, y);
    expectAllClose(flat(loaded), py.next, { atol: 1e-6, label: "weights after the resumed step" });
  });

  it("kerastore convert py.h5 → .keras → .h5 keeps predictions and optimizer state", async () => {
    // py.h5 comes from the previous describe's Python run.
    const original = await loadModel(join(dir, "py.h5"));
    await cli("convert", join(dir, "py.h5"), join(dir, "conv.keras"));
    await cli("convert", join(dir, "conv.keras"), join(dir, "back.h5"));
    for (const file of ["conv.keras", "back.h5"]) {
      const m = await loadModel(join(dir, file), { onWarning: (w) => expect.fail(w) });
      expectAllClose(predicted(m), predicted(original), { atol: 0, label: `predictions of ${file}` });
      const a = original.optimizer!.getWeights().map((v) => Array.from(v, Number));
      const b = m.optimizer!.getWeights().map((v) => Array.from(v, Number));
      expectAllClose(b, a, { atol: 0, label: `optimizer variables of ${file}` });
    }
    // And Keras takes the converted archive, compiled, at the same step.
    const py = await runPythonJson<{ iterations: number; pred: number[] }>(
      `${PRELUDE}
m = keras.models.load_model(d + "/conv.keras")
print(json.dumps({"iterations": int(m.optimizer.iterations.numpy()), "pred": m.predict(x, verbose=0).reshape(-1).tolist()}))
`,
      { args: [dir] },
    );
    expect(py.iterations).toBe(4);
    expectAllClose(py.pred, predicted(original), { atol: 1e-6, label: "Keras's predictions of the converted archive" });
  });
});
