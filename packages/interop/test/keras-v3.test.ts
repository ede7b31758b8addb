import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, bytesOf, walkSavedTree } from "@kerastore/core";
import { fixturePath, readFixture, readFixtureJson } from "@kerastore/fixtures";
import { readKerasArchive, writeKerasArchive } from "@kerastore/keras-v3";
import { describe, expect, it } from "vitest";
import { runPython } from "../src/index.js";

const models = readFixtureJson<{ models: { name: string; inputs: number; outputs: number }[] }>(
  "models",
  "index.json",
).models;
const dir = mkdtempSync(join(tmpdir(), "kerastore-keras-v3-"));

/**
 * Loads our archive and Keras's original of each model, predicts on the fixture inputs, and
 * compares with output<i>.npy; compares every optimizer variable with the original's; then takes
 * one identical training step on both and compares the weights after it.
 */
const CHECK = `
import json, sys, numpy as np, keras
ours_path, fixture_dir, n_in, n_out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ours = keras.models.load_model(ours_path)
orig = keras.models.load_model(fixture_dir + "/model.keras")
xs = [np.load(f"{fixture_dir}/input{i}.npy") for i in range(n_in)]
ys = [np.load(f"{fixture_dir}/output{i}.npy") for i in range(n_out)]
pred = ours(xs[0] if n_in == 1 else xs, training=False)
pred = [pred] if n_out == 1 else list(pred)
err = max(float(np.max(np.abs(np.asarray(p) - y) / (np.abs(y) + 1e-5))) for p, y in zip(pred, ys))
out = {"pred_rel_err": err, "compiled": ours.compiled, "optimizer": None, "step_diff": None}
if getattr(ours, "optimizer", None) is not None and getattr(orig, "optimizer", None) is not None and len(orig.optimizer.variables) > 0:
    a = [np.asarray(v) for v in ours.optimizer.variables]
    b = [np.asarray(v) for v in orig.optimizer.variables]
    out["optimizer"] = {
        "class": type(ours.optimizer).__name__,
        "iterations": int(ours.optimizer.iterations.numpy()),
        "count": [len(a), len(b)],
        "max_diff": max(float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64)))) for x, y in zip(a, b)),
    }
    y_train = np.asarray(orig(xs[0], training=False)) * 0.5 + 0.1
    ours.train_on_batch(xs[0], y_train)
    orig.train_on_batch(xs[0], y_train)
    out["step_diff"] = max(float(np.max(np.abs(np.asarray(p) - np.asarray(q)))) for p, q in zip(ours.weights, orig.weights))
    out["iterations_after"] = int(ours.optimizer.iterations.numpy())
print(json.dumps(out))
`;

describe("our .keras archives load in keras.models.load_model", () => {
  it.each(models.map((m) => [m.name, m] as const))("%s", async (name, model) => {
    const original = await readKerasArchive(readFixture("models", name, "model.keras"));
    const bytes = await writeKerasArchive(original.data);
    const path = join(dir, `${name}.keras`);
    writeFileSync(path, bytes);
    const { stdout } = await runPython(CHECK, {
      args: [path, fixturePath("models", name), String(model.inputs), String(model.outputs)],
    });
    const result = JSON.parse(stdout.trim().split("\n").pop()!);
    expect(result.pred_rel_err).toBeLessThan(1e-5);
    if (name === "get_model") {
      expect(result.compiled).toBe(true);
      expect(result.optimizer).toEqual({ class: "Adam", iterations: 4, count: [6, 6], max_diff: 0 });
      // The next step from our archive's state equals the next step from Keras's own.
      expect(result.step_diff).toBe(0);
      expect(result.iterations_after).toBe(5);
    }
  });
});

const SAVE = `
import json, sys, hashlib, numpy as np, keras
src, dst = sys.argv[1], sys.argv[2]
m = keras.models.load_model(src)
m.save(dst)
def digest(v):
    a = np.ascontiguousarray(np.asarray(v))
    return [int(a.size), str(a.dtype), hashlib.sha256(a.tobytes()).hexdigest()]
print(json.dumps({"weights": [digest(v) for v in m.weights], "optimizer": [digest(v) for v in m.optimizer.variables] if getattr(m, "optimizer", None) else []}))
`;

// Shapes compare by element count: Keras reports the optimizer's scalar `iteration` as (1,) in memory.
function digest(t: HostTensor): [number, string, string] {
  return [
    t.shape.reduce((a, b) => a * b, 1),
    t.dtype,
    createHash("sha256")
      .update(bytesOf(t.data as Float32Array))
      .digest("hex"),
  ];
}

describe("Python's .keras reads back equal", () => {
  it.each(["get_model", "nested", "conv", "lstm"])("%s", async (name) => {
    const out = join(dir, `py-${name}.keras`);
    const { stdout } = await runPython(SAVE, { args: [fixturePath("models", name, "model.keras"), out] });
    const expected = JSON.parse(stdout.trim().split("\n").pop()!) as { weights: unknown[]; optimizer: unknown[] };
    const archive = await readKerasArchive(new Uint8Array(readFileSync(out)), { name: out });
    const ours: unknown[] = [];
    const optimizer: unknown[] = [];
    for (const { node, path } of walkSavedTree(archive.data.root)) {
      for (const v of node.variables) (path[0] === "optimizer" ? optimizer : ours).push(digest(v.value));
    }
    // Model weights: the same set (Keras lists all trainable before all non-trainable).
    const key = (d: unknown) => JSON.stringify(d);
    expect(ours.map(key).sort()).toEqual(expected.weights.map(key).sort());
    // Optimizer variables: the same, in the same order.
    expect(optimizer).toEqual(expected.optimizer);
  });
});
