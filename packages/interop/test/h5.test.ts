import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesOf } from "@kerastore/core";
import { fixturePath, readFixture, realworld } from "@kerastore/fixtures";
import { type KerasH5, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "@kerastore/h5";
import { runPython } from "../src/index.js";
import { describe, expect, it } from "vitest";

/** Every dataset of an HDF5 file with its shape and the sha256 of its bytes, as h5py reads it. */
const H5PY_DIGEST = `
import h5py, hashlib, json, sys, numpy as np
out = {}
for path in sys.argv[1:]:
    d = {}
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            d["/" + name] = [list(obj.shape), hashlib.sha256(np.ascontiguousarray(obj[()]).tobytes()).hexdigest()]
    with h5py.File(path, "r") as f:
        f.visititems(visit)
    out[path] = d
print(json.dumps(out))
`;

function ourDigest(result: KerasH5): Record<string, [number[], string]> {
  const out: Record<string, [number[], string]> = {};
  const add = (path: string, t: { shape: readonly number[]; data: unknown }) => {
    out[path] = [[...t.shape], createHash("sha256").update(bytesOf(t.data as Float32Array)).digest("hex")];
  };
  if (result.kind === "keras3-weights") {
    for (const e of result.entries) for (const [i, v] of e.values.entries()) add(`${e.path ? `/${e.path}` : ""}/vars/${i}`, v);
    return out;
  }
  const group = result.kind === "legacy-model" ? "/model_weights" : "";
  const layers = [...result.legacy.weights.layers, ...(result.legacy.weights.topLevel ? [result.legacy.weights.topLevel] : [])];
  for (const l of layers) for (const [i, w] of l.weights.entries()) add(`${group}/${l.name}/${l.weightNames[i]}`, w);
  for (const w of result.legacy.optimizerWeights) add(`/optimizer_weights/${w.name}`, w.value);
  return out;
}

const rw = realworld();
const h5Files = [
  ...readdirSync(fixturePath("h5")).filter((f) => f.endsWith(".h5")).map((f) => fixturePath("h5", f)),
  ...(rw.dir ? readdirSync(rw.dir).filter((f) => /\.(h5|keras)$/.test(f) && !f.includes("inputs_and_outputs")).map((f) => join(rw.dir!, f)) : []),
].filter((p) => readFileSync(p).subarray(0, 4).toString("latin1") === "\x89HDF");

describe("h5: our reader against h5py", () => {
  it(`reads every dataset of ${h5Files.length} fixture and real-world files byte for byte as h5py does`, async () => {
    expect(h5Files.length).toBeGreaterThanOrEqual(20);
    const { stdout } = await runPython(H5PY_DIGEST, { args: h5Files });
    const theirs = JSON.parse(stdout) as Record<string, Record<string, [number[], string]>>;
    for (const path of h5Files) {
      const ours = ourDigest(await readKerasH5(new Uint8Array(readFileSync(path)), { name: path }));
      expect(ours, path).toEqual(theirs[path]);
    }
  });
});

const LOAD_AND_COMPARE = `
import json, sys, numpy as np, h5py, keras
from keras.src.legacy.saving import legacy_h5_format
name, d, fixtures = sys.argv[1], sys.argv[2], sys.argv[3]
x = np.load(f"{fixtures}/{name}.input0.npy"); want = np.load(f"{fixtures}/{name}.output0.npy")
res = {}
for dialect in ["keras2", "keras3"]:
    m = keras.models.load_model(f"{d}/{dialect}.h5")
    res[f"load_model {dialect}"] = float(np.max(np.abs(m.predict(x, verbose=0) - want)))
base = keras.models.load_model(f"{fixtures}/{name}.h5")
for w in ["weights-only.h5", "ours.weights.h5"]:
    m = keras.models.clone_model(base)
    m.load_weights(f"{d}/{w}")
    res[f"load_weights {w}"] = float(np.max(np.abs(m.predict(x, verbose=0) - want)))
# h5py sees the same attribute types as in the Keras-written file
def types(path):
    out = {}
    with h5py.File(path) as f:
        def one(where, o):
            for k in o.attrs:
                t = o.attrs.get_id(k).get_type(); s = o.attrs.get_id(k).shape
                out[f"{where}@{k}"] = [type(t).__name__, t.is_variable_str() if isinstance(t, h5py.h5t.TypeStringID) else None,
                                       t.get_cset() if isinstance(t, h5py.h5t.TypeStringID) else None, list(s)]
        one("/", f); f.visititems(lambda n, o: one("/" + n, o))
    return out
ref, ours = types(f"{fixtures}/{name}.h5"), types(f"{d}/keras3.h5")
res["attr type differences"] = [k for k in ref if ref[k] != ours.get(k)]
ref, ours = types(f"{fixtures}/{name}.weights.h5"), types(f"{d}/ours.weights.h5")
res["weights attr type differences"] = [k for k in ref if ref[k] != ours.get(k)]
print(json.dumps(res))
`;

describe("h5: files we write load in Python Keras", () => {
  for (const name of ["seq", "fun"]) {
    it(`${name}: load_model on our legacy .h5 (both dialects) and load_weights on our weights files predict as the original`, async () => {
      const { data } = await readKerasH5(readFixture("h5", `${name}.h5`), { name: `${name}.h5` });
      const dir = mkdtempSync(join(tmpdir(), "kerastore-h5-"));
      writeFileSync(join(dir, "keras2.h5"), await writeLegacyH5(data, { dialect: "keras2" }));
      writeFileSync(join(dir, "keras3.h5"), await writeLegacyH5(data, { dialect: "keras3" }));
      writeFileSync(join(dir, "weights-only.h5"), await writeLegacyH5(data, { weightsOnly: true }));
      writeFileSync(join(dir, "ours.weights.h5"), await writeKeras3WeightsH5(data));
      const { stdout } = await runPython(LOAD_AND_COMPARE, { args: [name, dir, fixturePath("h5")] });
      const res = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number | string[]>;
      for (const [what, diff] of Object.entries(res)) {
        if (Array.isArray(diff)) expect(diff, what).toEqual([]);
        else expect(diff, what).toBeLessThan(1e-5);
      }
      expect(Object.keys(res)).toHaveLength(6);
    });
  }
});
