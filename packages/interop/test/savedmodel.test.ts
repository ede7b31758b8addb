import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, readNpy } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { keras } from "kerastore";
import { describe, expect, it } from "vitest";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { runPythonJson } from "../src/index.js";

/**
 * Python exports fresh models with Keras 3 `model.export` (an MLP with softmax, two small CNNs
 * with Conv2D/MaxPool/BatchNormalization/DepthwiseConv2D/AveragePooling, a two-input two-output
 * functional model, a text model with Embedding/Conv1D/LayerNormalization/MultiHeadAttention, an
 * image model with SeparableConv2D/ZeroPadding2D/UpSampling2D/swish, a recurrent model with LSTM,
 * a Bidirectional GRU and SimpleRNN: While loops over TensorLists, and a "zoo" of Rescaling,
 * Resizing, Conv2DTranspose, Cropping2D, GroupNormalization, dilated Conv2D, Permute, Conv1D,
 * AveragePooling1D, UnitNormalization, Attention, TimeDistributed, PReLU and the merge layers, and a tf.Module reaching for top_k, one_hot, cumsum, gather_nd, embedding_lookup,
 * band_part, broadcast_to, sort and atan2) and a tf.Module with two signatures through `tf.saved_model.save`, gives
 * every weight a random value (so batch normalization is not the identity), and records what the
 * reloaded SavedModel computes on fixed inputs. Keras's own predict is checked against it first.
 */
const PY_EXPORT = `
import json, sys, pathlib
import numpy as np, tensorflow as tf, keras
from keras import layers

out = pathlib.Path(sys.argv[1])
rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)

def randomize(model):
    for w in model.weights:
        v = rng.uniform(-1.0, 1.0, size=w.shape).astype(np.float32)
        if "variance" in w.path:
            v = np.abs(v) + 0.5
        w.assign(v)

def mlp():
    x = keras.Input((10,), name="x")
    h = layers.Dense(16, activation="relu")(x)
    h = layers.Dropout(0.5)(h)
    y = layers.Dense(5, activation="softmax")(h)
    return keras.Model(x, y), {"x": (6, 10)}

def cnn():
    x = keras.Input((8, 8, 3), name="image")
    h = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    h = layers.MaxPooling2D(2)(h)
    h = layers.BatchNormalization()(h)
    h = layers.Flatten()(h)
    y = layers.Dense(3)(h)
    return keras.Model(x, y), {"image": (2, 8, 8, 3)}

def cnn2():
    x = keras.Input((9, 9, 2), name="image")
    h = layers.Conv2D(3, 3, strides=2, padding="valid", activation="elu")(x)
    h = layers.DepthwiseConv2D(2, padding="same", activation="sigmoid")(h)
    h = layers.AveragePooling2D(2, padding="same")(h)
    h = layers.GlobalAveragePooling2D()(h)
    y = layers.Dense(2, activation="log_softmax")(h)
    return keras.Model(x, y), {"image": (3, 9, 9, 2)}

def text():
    tok = keras.Input((7,), dtype="int32", name="tokens")
    h = layers.Embedding(20, 8)(tok)
    h = layers.Conv1D(6, 3, padding="causal", activation="relu")(h)
    h = layers.LayerNormalization()(h)
    a = layers.MultiHeadAttention(num_heads=2, key_dim=4)(h, h)
    h = layers.Add()([h, a])
    h = layers.GlobalMaxPooling1D()(h)
    h = layers.Reshape((2, 3))(h)
    h = layers.Flatten()(h)
    y = layers.Dense(2, activation="softmax")(h)
    return keras.Model(tok, y), {"tokens": (5, 7)}

def image():
    x = keras.Input((12, 12, 3), name="pixels")
    h = layers.Conv2D(4, 3, padding="same")(x)
    h = layers.LeakyReLU(0.1)(h)
    h = layers.SeparableConv2D(4, 3)(h)
    h = layers.ZeroPadding2D(1)(h)
    h = layers.UpSampling2D(2)(h)
    h = layers.GlobalMaxPooling2D()(h)
    y = layers.Dense(3, activation="swish")(h)
    return keras.Model(x, y), {"pixels": (2, 12, 12, 3)}

def recurrent():
    x = keras.Input((6, 3), name="sequence")
    h = layers.LSTM(4, return_sequences=True)(x)
    h = layers.Bidirectional(layers.GRU(3, return_sequences=True))(h)
    h = layers.SimpleRNN(2)(h)
    y = layers.Dense(2, activation="softmax")(h)
    return keras.Model(x, y), {"sequence": (3, 6, 3)}

def zoo():
    x = keras.Input((8, 8, 3), name="picture")
    h = layers.Rescaling(1 / 255.0, offset=-0.5)(x)
    h = layers.Resizing(10, 10)(h)
    h = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(h)
    h = layers.Cropping2D(1)(h)
    h = layers.GroupNormalization(groups=2)(h)
    h = layers.Conv2D(4, 3, dilation_rate=2, activation="hard_sigmoid")(h)
    h = layers.AveragePooling2D(2)(h)
    h = layers.Permute((3, 1, 2))(h)
    h = layers.Reshape((4, -1))(h)
    h = layers.Conv1D(3, 2, activation="softsign")(h)
    h = layers.AveragePooling1D(2, padding="same")(h)
    h = layers.UnitNormalization()(h)
    h = layers.Attention()([h, h])
    h = layers.TimeDistributed(layers.Dense(2, activation="mish"))(h)
    a = layers.GlobalAveragePooling1D()(h)
    b = layers.Dense(4, activation="hard_swish")(a)
    d = layers.Activation("relu6")(layers.PReLU()(layers.Dense(4)(a)))
    s = layers.Subtract()([layers.Maximum()([b, d]), layers.Minimum()([b, d])])
    av = layers.Average()([layers.Multiply()([s, b]), d])
    dot = layers.Dot(axes=1)([av, b])
    y = layers.Dense(2, activation="exponential")(layers.Concatenate()([av, dot]))
    return keras.Model(x, y), {"picture": (2, 8, 8, 3)}

def multi():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    ha = layers.Dense(5, activation="tanh")(a)
    hb = layers.Dense(5, activation="gelu")(b)
    h = layers.Concatenate()([ha, hb])
    y1 = layers.Dense(2, name="first")(h)
    y2 = layers.Dense(1, activation="sigmoid", name="second")(layers.Add()([ha, hb]))
    return keras.Model([a, b], [y1, y2]), {"a": (3, 4), "b": (3, 3)}

class TwoSigs(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(rng.uniform(-1, 1, (3, 2)).astype(np.float32), name="w")
        self.offset = tf.Variable(rng.uniform(-1, 1, (2,)).astype(np.float32), name="offset")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def predict(self, x):
        return {"y": tf.nn.relu(tf.matmul(x, self.w) + self.offset)}

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x"), tf.TensorSpec([], tf.float32, name="k")])
    def scaled(self, x, k):
        z = tf.matmul(x, self.w) * k
        return {"sum": tf.reduce_sum(z, axis=1), "max": tf.reduce_max(z, axis=1, keepdims=True), "t": tf.transpose(z), "arg": tf.argmax(z, axis=1)}

manifest = {}
for name, build in [("mlp", mlp), ("cnn", cnn), ("cnn2", cnn2), ("multi", multi), ("text", text), ("image", image), ("recurrent", recurrent), ("zoo", zoo)]:
    model, shapes = build()
    randomize(model)
    d = out / name
    model.export(str(d / "saved_model"), verbose=False)
    loaded = tf.saved_model.load(str(d / "saved_model"))
    inputs = {k: (rng.integers(0, 20, s).astype(np.int32) if k == "tokens" else rng.uniform(-2, 2, s).astype(np.float32)) for k, s in shapes.items()}
    sig = loaded.signatures["serving_default"]
    res = sig(**{k: tf.constant(v) for k, v in inputs.items()})
    entry = {"inputs": {}, "outputs": {}, "serve": []}
    for k, v in inputs.items():
        np.save(d / f"in_{k}.npy", v); entry["inputs"][k] = str(d / f"in_{k}.npy")
    for k, v in res.items():
        np.save(d / f"out_{k}.npy", v.numpy()); entry["outputs"][k] = str(d / f"out_{k}.npy")
    args = [tf.constant(inputs[k]) for k in shapes]
    served = loaded.serve(args if len(args) > 1 else args[0])
    served = served if isinstance(served, (list, tuple)) else [served]
    for i, v in enumerate(served):
        np.save(d / f"serve_{i}.npy", v.numpy()); entry["serve"].append(str(d / f"serve_{i}.npy"))
    # Keras itself agrees with the exported graph.
    direct = model.predict([inputs[k] for k in shapes] if len(shapes) > 1 else inputs[next(iter(shapes))], verbose=0)
    direct = direct if isinstance(direct, list) else [direct]
    for a, b in zip(direct, served):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)
    entry["dir"] = str(d / "saved_model")
    entry["signature"] = "serving_default"
    manifest[name] = entry

class Captures(tf.Module):
    """Captures eager constants (saved as constant objects) beside a variable."""

    def __init__(self):
        super().__init__()
        self.c = tf.constant([1.0, 2.0, 3.0])
        self.table = tf.constant(np.arange(6, dtype=np.int64).reshape(2, 3))
        self.v = tf.Variable([0.5, -0.5, 0.25])

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def __call__(self, x):
        return x * self.c + self.v + tf.cast(self.table[1], tf.float32)

c = Captures()
d = out / "captures"
tf.saved_model.save(c, str(d / "saved_model"), signatures=c.__call__)
loaded = tf.saved_model.load(str(d / "saved_model"))
x = rng.uniform(-2, 2, (2, 3)).astype(np.float32)
np.save(d / "in_x.npy", x)
res = loaded.signatures["serving_default"](x=tf.constant(x))
entry = {"dir": str(d / "saved_model"), "signature": "serving_default", "inputs": {"x": str(d / "in_x.npy")}, "outputs": {}, "serve": []}
for n, v in res.items():
    np.save(d / f"out_{n}.npy", v.numpy()); entry["outputs"][n] = str(d / f"out_{n}.npy")
manifest["captures"] = entry

m = TwoSigs()
d = out / "module"
tf.saved_model.save(m, str(d / "saved_model"), signatures={"serving_default": m.predict, "scaled": m.scaled})
loaded = tf.saved_model.load(str(d / "saved_model"))
x = rng.uniform(-2, 2, (4, 3)).astype(np.float32)
k = np.float32(1.5)
np.save(d / "in_x.npy", x); np.save(d / "in_k.npy", k)
for key, kwargs in [("serving_default", {"x": x}), ("scaled", {"x": x, "k": k})]:
    res = loaded.signatures[key](**{n: tf.constant(v) for n, v in kwargs.items()})
    entry = {"dir": str(d / "saved_model"), "signature": key, "inputs": {n: str(d / f"in_{n}.npy") for n in kwargs}, "outputs": {}, "serve": [], "call": key if key == "scaled" else ""}
    if key == "scaled":
        called = loaded.scaled(tf.constant(x), tf.constant(k))
        np.testing.assert_array_equal(called["arg"].numpy(), res["arg"].numpy())
        assert res["arg"].dtype == tf.int64
    for n, v in res.items():
        np.save(d / f"{key}_out_{n}.npy", v.numpy()); entry["outputs"][n] = str(d / f"{key}_out_{n}.npy")
    manifest["module_" + key] = entry
class Ops(tf.Module):
    """The less common ops a hand-written tf.function reaches for."""

    def __init__(self):
        super().__init__()
        self.table = tf.Variable(rng.uniform(-1, 1, (10, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32, name="x"), tf.TensorSpec([None], tf.int32, name="ids")])
    def __call__(self, x, ids):
        values, indices = tf.math.top_k(x, k=2)
        rows = tf.range(tf.shape(x)[0])
        return {
            "emb": tf.nn.embedding_lookup(self.table, ids),
            "values": values,
            "indices": indices,
            "hot": tf.one_hot(indices[:, 0], depth=5, on_value=2.0, off_value=-1.0),
            "cum": tf.cumsum(x, axis=1, exclusive=True, reverse=True),
            "clipped": tf.clip_by_value(x, -0.5, 0.5),
            "wide": tf.broadcast_to(tf.reduce_mean(x, axis=1, keepdims=True), tf.shape(x)),
            "masked": tf.matmul(x, tf.linalg.band_part(tf.ones([5, 5]), -1, 0)),
            "picked": tf.gather_nd(x, tf.stack([rows, indices[:, 1]], axis=1)),
            "where": tf.where(x > 0, x, tf.zeros_like(x)),
            "sorted": tf.sort(x, axis=1, direction="DESCENDING"),
            "atan2": tf.math.atan2(x, x + 3.0),
            "case": tf.switch_case(tf.reduce_sum(ids) % 3, [lambda: x * 2.0, lambda: x - 1.0, lambda: -x]),
            "cond": tf.cond(tf.reduce_sum(x) > 0, lambda: x + 1.0, lambda: x - 1.0),
        }

o = Ops()
d = out / "ops"
tf.saved_model.save(o, str(d / "saved_model"), signatures=o.__call__)
loaded = tf.saved_model.load(str(d / "saved_model"))
inputs = {"x": rng.uniform(-2, 2, (3, 5)).astype(np.float32), "ids": np.array([0, 9, 4, 4], dtype=np.int32)}
entry = {"dir": str(d / "saved_model"), "signature": "serving_default", "inputs": {}, "outputs": {}, "serve": []}
for n, v in inputs.items():
    np.save(d / f"in_{n}.npy", v); entry["inputs"][n] = str(d / f"in_{n}.npy")
for n, v in loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()}).items():
    np.save(d / f"out_{n}.npy", v.numpy()); entry["outputs"][n] = str(d / f"out_{n}.npy")
manifest["ops"] = entry

class Traced(tf.Module):
    """One tf.function traced three times with different Python arguments."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(rng.uniform(-1, 1, (3, 2)).astype(np.float32))

    @tf.function
    def __call__(self, x, training=False, scale=1.0):
        y = tf.matmul(x, self.w) * scale
        return y + 100.0 if training else y

t = Traced()
spec = tf.TensorSpec([None, 3], tf.float32, name="x")
t.__call__.get_concrete_function(spec, True)
t.__call__.get_concrete_function(spec)
t.__call__.get_concrete_function(spec, False, 2.0)
d = out / "traced"
tf.saved_model.save(t, str(d / "saved_model"))
loaded = tf.saved_model.load(str(d / "saved_model"))
x = rng.uniform(-2, 2, (2, 3)).astype(np.float32)
np.save(d / "x.npy", x)
traces = {"dir": str(d / "saved_model"), "x": str(d / "x.npy")}
for label, args in [("default", ()), ("training", (True,)), ("scaled", (False, 2.0))]:
    np.save(d / f"{label}.npy", loaded(tf.constant(x), *args).numpy())
    traces[label] = str(d / f"{label}.npy")
print(json.dumps({"models": manifest, "traces": traces}))
`;

interface Entry {
  dir: string;
  signature: string;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  serve: string[];
  /** A root function to call with the inputs in order, returning the signature's outputs. */
  call?: string;
}

const npy = (path: string): HostTensor => readNpy(new Uint8Array(readFileSync(path)));

describe("SavedModels exported by Python, run in TypeScript (live)", () => {
  it("match TensorFlow's outputs to 1e-5 for every signature and serve function", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-savedmodel-interop-"));
    const result = await runPythonJson<{ models: Record<string, Entry>; traces: Record<string, string> }>(PY_EXPORT, {
      args: [dir],
    });
    const manifest = result.models;
    expect(Object.keys(manifest).sort()).toEqual([
      "captures",
      "cnn",
      "cnn2",
      "image",
      "mlp",
      "module_scaled",
      "module_serving_default",
      "multi",
      "ops",
      "recurrent",
      "text",
      "zoo",
    ]);
    for (const [name, entry] of Object.entries(manifest)) {
      const loaded = await keras.savedModel.load(entry.dir);
      const inputs = Object.fromEntries(Object.entries(entry.inputs).map(([k, p]) => [k, npy(p)]));
      const outputs = await loaded.signatures[entry.signature]!(inputs);
      expect(Object.keys(outputs).sort(), name).toEqual(Object.keys(entry.outputs).sort());
      for (const [k, p] of Object.entries(entry.outputs))
        expectAllClose(outputs[k]!, npy(p), {
          rtol: 1e-5,
          floor: 1,
          dtype: true,
          label: `${name} ${entry.signature} ${k}`,
        });
      if (entry.serve.length > 0) {
        const served = await loaded.functions["serve"]!(...Object.values(inputs));
        const list = entry.serve.length === 1 ? [served as HostTensor] : (served as HostTensor[]);
        for (const [i, p] of entry.serve.entries())
          expectAllClose(list[i]!, npy(p), { rtol: 1e-5, floor: 1, dtype: true, label: `${name} serve ${i}` });
      }
      if (entry.call) {
        const called = (await loaded.functions[entry.call]!(...Object.values(inputs))) as Record<string, HostTensor>;
        for (const [k, p] of Object.entries(entry.outputs))
          expectAllClose(called[k]!, npy(p), {
            rtol: 1e-5,
            floor: 1,
            dtype: true,
            label: `${name} ${entry.call}() ${k}`,
          });
        expect(called["arg"]!.dtype).toBe("int64");
        expect(outputs["arg"]!.dtype).toBe("int64");
      }
      loaded.dispose();
    }

    // A tf.function traced with different Python arguments: the call picks the trace whose
    // recorded values equal the given ones, missing trailing ones taken from the defaults.
    const traces = result.traces;
    const traced = await keras.savedModel.load(traces["dir"]!);
    const x = npy(traces["x"]!);
    const call = traced.functions["__call__"]!;
    expectAllClose((await call(x)) as HostTensor, npy(traces["default"]!), {
      rtol: 1e-5,
      floor: 1,
      dtype: true,
      label: "traced default",
    });
    expectAllClose((await call(x, false)) as HostTensor, npy(traces["default"]!), {
      rtol: 1e-5,
      floor: 1,
      dtype: true,
      label: "traced training=False",
    });
    expectAllClose((await call(x, true)) as HostTensor, npy(traces["training"]!), {
      rtol: 1e-5,
      floor: 1,
      dtype: true,
      label: "traced training=True",
    });
    expectAllClose((await call(x, false, 2)) as HostTensor, npy(traces["scaled"]!), {
      rtol: 1e-5,
      floor: 1,
      dtype: true,
      label: "traced scale=2.0",
    });
    await expect(call(x, false, 3)).rejects.toThrow(
      /no saved trace fits these 3 arguments: .*wants 1 for argument scale/,
    );
    traced.dispose();
  });
});

/** Real-world models Keras 3.15 loads as they are, exported by Python and run here. */
const REALWORLD_EXPORTS = [
  "A-I-nstein__mnist_cnn__cnn_model.h5",
  "Aman-21k__cnn-fashion-mnist-classifier__model.keras",
  "VKapitany__CNN_Introduction__mnist_cnn.h5",
];

const PY_EXPORT_FILES = `
import sys, keras
out, files = sys.argv[1], sys.argv[2:]
for i, f in enumerate(files):
    keras.models.load_model(f, compile=False).export(f"{out}/{i}", verbose=False)
print("[]")
`;

const rw = realworld();
describe.skipIf(!rw.dir)(`real-world models exported as SavedModels (skipped when: ${rw.missing ?? "never"})`, () => {
  it("run in TypeScript to the outputs Keras recorded in ../shared/realworld", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-savedmodel-realworld-"));
    await runPythonJson(PY_EXPORT_FILES, { args: [dir, ...REALWORLD_EXPORTS.map((f) => join(rw.dir!, f))] });
    for (const [i, file] of REALWORLD_EXPORTS.entries()) {
      const base = join(rw.dir!, file.replace(/\.(h5|keras)$/, ""));
      const loaded = await keras.savedModel.load(join(dir, String(i)));
      const y = (await loaded.functions["serve"]!(npy(`${base}.input0.npy`))) as HostTensor;
      expectAllClose(y, npy(`${base}.output0.npy`), { rtol: 1e-5, floor: 1, dtype: true, label: file });
      loaded.dispose();
    }
  });
});
