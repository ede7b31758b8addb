import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesOf } from "@kerastore/core";
import { fixturePath, readFixture, realworld } from "@kerastore/fixtures";
import { type H5WriteBackend, type KerasH5, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "@kerastore/h5";
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
    out[path] = [
      [...t.shape],
      createHash("sha256")
        .update(bytesOf(t.data as Float32Array))
        .digest("hex"),
    ];
  };
  if (result.kind === "keras3-weights") {
    for (const e of result.entries)
      for (const [i, v] of e.values.entries()) add(`${e.path ? `/${e.path}` : ""}/vars/${i}`, v);
    return out;
  }
  const group = result.kind === "legacy-model" ? "/model_weights" : "";
  const layers = [
    ...result.legacy.weights.layers,
    ...(result.legacy.weights.topLevel ? [result.legacy.weights.topLevel] : []),
  ];
  for (const l of layers) for (const [i, w] of l.weights.entries()) add(`${group}/${l.name}/${l.weightNames[i]}`, w);
  for (const w of result.legacy.optimizerWeights) add(`/optimizer_weights/${w.name}`, w.value);
  return out;
}

const rw = realworld();
const isHdf5 = (p: string) => readFileSync(p).subarray(0, 4).toString("latin1") === "\x89HDF";
const fixtureH5 = readdirSync(fixturePath("h5"))
  .filter((f) => f.endsWith(".h5"))
  .map((f) => fixturePath("h5", f))
  .filter(isHdf5);
const realworldH5 = rw.dir
  ? readdirSync(rw.dir)
      .filter((f) => /\.(h5|keras)$/.test(f) && !f.includes("inputs_and_outputs"))
      .map((f) => join(rw.dir!, f))
      .filter(isHdf5)
  : [];

async function expectLikeH5py(files: readonly string[]): Promise<void> {
  const { stdout } = await runPython(H5PY_DIGEST, { args: [...files] });
  const theirs = JSON.parse(stdout) as Record<string, Record<string, [number[], string]>>;
  for (const path of files) {
    const ours = ourDigest(await readKerasH5(new Uint8Array(readFileSync(path)), { name: path }));
    expect(ours, path).toEqual(theirs[path]);
  }
}

describe("h5: our reader against h5py", () => {
  it(`reads every dataset of ${fixtureH5.length} fixture files byte for byte as h5py does`, async () => {
    expect(fixtureH5.length).toBeGreaterThanOrEqual(8);
    await expectLikeH5py(fixtureH5);
  });

  it.skipIf(rw.missing !== undefined)(
    `reads every dataset of ${realworldH5.length} real-world files byte for byte as h5py does (${rw.missing ?? "../shared/realworld"})`,
    async () => {
      expect(realworldH5.length).toBeGreaterThanOrEqual(12);
      await expectLikeH5py(realworldH5);
    },
  );
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
  for (const backend of ["native", "h5wasm"] satisfies H5WriteBackend[]) {
    for (const name of ["seq", "fun"]) {
      it(`${name} (${backend} writer): load_model on our legacy .h5 (both dialects) and load_weights on our weights files predict as the original`, async () => {
        const { data } = await readKerasH5(readFixture("h5", `${name}.h5`), { name: `${name}.h5` });
        const dir = mkdtempSync(join(tmpdir(), "kerastore-h5-"));
        writeFileSync(join(dir, "keras2.h5"), await writeLegacyH5(data, { dialect: "keras2", backend }));
        writeFileSync(join(dir, "keras3.h5"), await writeLegacyH5(data, { dialect: "keras3", backend }));
        writeFileSync(join(dir, "weights-only.h5"), await writeLegacyH5(data, { weightsOnly: true, backend }));
        writeFileSync(join(dir, "ours.weights.h5"), await writeKeras3WeightsH5(data, { backend }));
        const { stdout } = await runPython(LOAD_AND_COMPARE, { args: [name, dir, fixturePath("h5")] });
        const res = JSON.parse(stdout.trim().split("\n").at(-1)!) as Record<string, number | string[]>;
        for (const [what, diff] of Object.entries(res)) {
          if (Array.isArray(diff)) expect(diff, what).toEqual([]);
          else expect(diff, what).toBeLessThan(1e-5);
        }
        expect(Object.keys(res)).toHaveLength(6);
      });
    }
  }
});

/** Everything h5py sees in a file: groups, attribute types and values, dataset shapes, dtypes and bytes. */
const H5PY_DESCRIBE = `
import h5py, hashlib, json, sys, numpy as np
def describe(path):
    out = {}
    with h5py.File(path) as f:
        def attrs(where, o):
            for k in o.attrs:
                aid = o.attrs.get_id(k); t = aid.get_type(); v = o.attrs[k]
                info = [type(t).__name__, list(aid.shape)]
                if isinstance(t, h5py.h5t.TypeStringID):
                    info += [bool(t.is_variable_str()), int(t.get_cset()), int(t.get_strpad()), None if t.is_variable_str() else t.get_size()]
                vals = v.tolist() if isinstance(v, np.ndarray) else v
                info.append([x.decode() if isinstance(x, bytes) else x for x in (vals if isinstance(vals, list) else [vals])])
                out[f"{where}@{k}"] = info
        attrs("/", f)
        def visit(n, o):
            if isinstance(o, h5py.Dataset):
                out["/" + n] = [list(o.shape), str(o.dtype), type(o.id.get_type()).__name__, o.id.get_type().get_size(),
                                hashlib.sha256(np.ascontiguousarray(o[()]).tobytes()).hexdigest()]
            else:
                out["/" + n] = "group"
            attrs("/" + n, o)
        f.visititems(visit)
    return out
print(json.dumps([describe(p) for p in sys.argv[1:]]))
`;

/** Configs are compared as JSON values: Python and we may format the same number differently. */
function parsedConfigs(described: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(described)) {
    const info = v as unknown[];
    out[k] = /@(model|training)_config$/.test(k)
      ? [...info.slice(0, -1), JSON.parse((info.at(-1) as string[])[0]!)]
      : v;
  }
  return out;
}

describe("h5: the native writer's files look to h5py as the files Keras and h5py wrote", () => {
  for (const name of ["seq", "fun", "long_names"]) {
    it(`${name}: same groups, attribute types (vlen/fixed, cset, padding), values, dataset shapes, dtypes and bytes`, async () => {
      const source = await readKerasH5(readFixture("h5", `${name}.h5`), { name });
      if (source.kind === "keras3-weights") throw new Error("expected a legacy file");
      const dir = mkdtempSync(join(tmpdir(), "kerastore-h5-"));
      const files = [fixturePath("h5", `${name}.h5`), join(dir, "ours.h5")];
      writeFileSync(files[1]!, await writeLegacyH5(source.data, { dialect: source.legacy.dialect }));
      if (name !== "long_names") {
        files.push(fixturePath("h5", `${name}.weights.h5`), join(dir, "ours.weights.h5"));
        writeFileSync(files[3]!, await writeKeras3WeightsH5(source.data));
      }
      const { stdout } = await runPython(H5PY_DESCRIBE, { args: files });
      const [theirs, ours, theirWeights, ourWeights] = (JSON.parse(stdout) as Record<string, unknown>[]).map(
        parsedConfigs,
      );
      expect(Object.keys(theirs!).length).toBeGreaterThan(10);
      // The h5py-made long_names.h5 lacks the (empty) top_level_model_weights group Keras writes.
      const extra = Object.keys(ours!).filter((k) => !(k in theirs!));
      expect(extra).toEqual(
        name === "long_names"
          ? ["/model_weights/top_level_model_weights", "/model_weights/top_level_model_weights@weight_names"]
          : [],
      );
      for (const k of extra) delete ours![k];
      expect(ours).toEqual(theirs);
      expect(ourWeights).toEqual(theirWeights);
    });
  }

  it("float16, bfloat16 and bool datasets are what h5py and Keras 3 write, and Keras 3 loads them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-h5-"));
    await runPython(KERAS_DTYPES, { args: ["save", dir] });
    const ref = await readKerasH5(new Uint8Array(readFileSync(join(dir, "ref.weights.h5"))), {
      name: "ref.weights.h5",
    });
    writeFileSync(join(dir, "ours.weights.h5"), await writeKeras3WeightsH5(ref.data));
    const bool = await readKerasH5(new Uint8Array(readFileSync(join(dir, "ref-bool.h5"))), { name: "ref-bool.h5" });
    writeFileSync(join(dir, "ours-bool.h5"), await writeLegacyH5(bool.data, { weightsOnly: true }));
    const { stdout } = await runPython(KERAS_DTYPES, { args: ["load", dir] });
    const res = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      describe: [Record<string, unknown>, unknown];
      bool: [Record<string, unknown>, unknown];
      loaded: boolean[];
    };
    expect(res.loaded).toEqual([true, true, true]);
    expect((res.describe[0]["/layers/dense_1/vars/0"] as unknown[]).slice(0, 4)).toEqual([
      [4, 2],
      "|V2",
      "TypeOpaqueID",
      2,
    ]);
    expect(res.describe[0]["/layers/dense_1/vars/0@dtype"]).toEqual([
      "TypeStringID",
      [],
      true,
      1,
      0,
      null,
      ["bfloat16"],
    ]);
    expect((res.describe[0]["/layers/dense/vars/0"] as unknown[]).slice(0, 4)).toEqual([
      [3, 4],
      "float16",
      "TypeFloatID",
      2,
    ]);
    expect(res.describe[1]).toEqual(res.describe[0]);
    expect((res.bool[0]["/flags/flags/mask:0"] as unknown[]).slice(0, 4)).toEqual([[2, 3], "bool", "TypeEnumID", 1]);
    expect(res.bool[1]).toEqual(res.bool[0]);
  });
});

/** Keras 3 models with float16 and bfloat16 weights and a bool dataset, saved by Keras and by us. */
const KERAS_DTYPES = `
import json, sys, numpy as np, h5py, keras
${H5PY_DESCRIBE.replace("print(json.dumps([describe(p) for p in sys.argv[1:]]))", "")}
mode, d = sys.argv[1], sys.argv[2]
def build():
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, dtype="float16"), keras.layers.Dense(2, dtype="bfloat16")])
    return m
if mode == "save":
    m = build()
    m.save_weights(f"{d}/ref.weights.h5")
    # A Keras 2 weights-only layout holding a bool dataset, as h5py writes it.
    with h5py.File(f"{d}/ref-bool.h5", "w") as f:
        f.attrs["layer_names"] = [b"flags"]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.15.0"
        g = f.create_group("flags")
        g.attrs["weight_names"] = [b"flags/mask:0"]
        g["flags/mask:0"] = np.array([[True, False, True], [False, False, True]])
        f.create_group("top_level_model_weights").attrs["weight_names"] = np.asarray([])
else:
    m = build()
    for w in m.weights: w.assign(np.zeros(w.shape))
    ref = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, dtype="float16"), keras.layers.Dense(2, dtype="bfloat16")])
    ref.load_weights(f"{d}/ref.weights.h5")
    m.load_weights(f"{d}/ours.weights.h5")
    loaded = [str(a.dtype) == str(b.dtype) and np.array_equal(np.asarray(a.numpy(), "float32"), np.asarray(b.numpy(), "float32"))
              for a, b in zip(m.weights, ref.weights)]
    loaded = [all(loaded[:2]), all(loaded[2:]), len(loaded) == 4]
    print(json.dumps({"describe": [describe(f"{d}/ref.weights.h5"), describe(f"{d}/ours.weights.h5")],
                      "bool": [describe(f"{d}/ref-bool.h5"), describe(f"{d}/ours-bool.h5")], "loaded": loaded}))
`;
