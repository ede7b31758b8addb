import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, hostTensor, readNpy, toFloat32, writeNpy } from "@kerastore/core";
import { BatchNormalization } from "@kerastore/engine";
import { keras } from "kerastore";
import { describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

/**
 * Keras 3 cannot read a tf.keras-2-named checkpoint through its own objects: a Keras 3 model
 * tracks its layers as `_operations/N` and Dense's kernel as `_kernel`. What works in
 * Keras 3.15 / TF 2.21 is a mirror: a tf.Module root with tf.keras 2's edges
 * (`layer_with_weights-N`, `layer-N`, variables by attribute name) over the Keras 3 model's
 * own tf.Variables, restored with tf.train.Checkpoint(root=mirror).read(prefix).
 */
const PY_RESTORE = `
import json, sys
import numpy as np, tensorflow as tf, keras

prefix, config_path, x_path = sys.argv[1:4]
model = keras.models.model_from_json(open(config_path).read())
root = tf.Module()
with_weights = 0
for i, layer in enumerate(model.layers):
    holder = tf.Module()
    for v in layer.weights:
        setattr(holder, v.path.split("/")[-1], v.value)
    if layer.weights:
        setattr(root, "layer_with_weights-%d" % with_weights, holder)
        with_weights += 1
    setattr(root, "layer-%d" % i, holder)
status = tf.train.Checkpoint(root=root).read(prefix)
status.assert_consumed()
reader = tf.train.load_checkpoint(prefix)
keys = sorted(reader.get_variable_to_shape_map())
state = open(prefix.rsplit("/", 1)[0] + "/checkpoint").read()
y = model.predict(np.load(x_path), verbose=0)
print(json.dumps({"keys": keys, "state": state, "y": y.reshape(-1).tolist(), "shape": list(y.shape)}))
`;

describe("model.saveWeights checkpoints in Python (live)", () => {
  it("restores in Keras 3 through a tf.keras-2-named mirror with assert_consumed, and predicts what we predict", async () => {
    await keras.ready();
    const dir = mkdtempSync(join(tmpdir(), "kerastore-ckpt-model-interop-"));
    const inputs = keras.Input({ shape: [4], name: "x" });
    let h = new keras.layers.Dense({ units: 5, activation: "relu", name: "dense_1" }).apply(inputs);
    h = new BatchNormalization({ name: "bn" }).apply(h);
    h = new keras.layers.Dropout({ rate: 0.5, name: "drop" }).apply(h);
    const outputs = new keras.layers.Dense({ units: 2, name: "out" }).apply(h);
    const model = new keras.Model({ inputs, outputs, name: "mlp" });
    let seed = 7;
    for (const w of model.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      w.assign(
        Float32Array.from({ length: n }, () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return (
            (seed / 2147483648) * (w.name === "moving_variance" ? 1 : 2) + (w.name === "moving_variance" ? 0.5 : -1)
          );
        }),
      );
    }
    const prefix = join(dir, "ckpt");
    await model.saveWeights(prefix);
    writeFileSync(join(dir, "model.json"), model.toJson());
    const x = hostTensor(
      "float32",
      [3, 4],
      Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)),
    );
    writeFileSync(join(dir, "x.npy"), writeNpy(x));
    const ours = model.predict(x) as HostTensor;

    const py = await runPythonJson<{ keys: string[]; state: string; y: number[]; shape: number[] }>(PY_RESTORE, {
      args: [prefix, join(dir, "model.json"), join(dir, "x.npy")],
    });
    expect(py.keys).toEqual([
      "_CHECKPOINTABLE_OBJECT_GRAPH",
      "layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-1/beta/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-1/gamma/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-1/moving_mean/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-1/moving_variance/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-2/bias/.ATTRIBUTES/VARIABLE_VALUE",
      "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE",
    ]);
    expect(py.state).toBe('model_checkpoint_path: "ckpt"\nall_model_checkpoint_paths: "ckpt"\n');
    expect(py.shape).toEqual([3, 2]);
    const mine = toFloat32(ours);
    for (const [i, v] of py.y.entries()) expect(Math.abs(v - mine[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
  });

  it("a Keras 3 model's tf.train.Checkpoint written live restores into the TypeScript model with Keras's predictions", async () => {
    await keras.ready();
    const dir = mkdtempSync(join(tmpdir(), "kerastore-ckpt-model-interop-"));
    const py = await runPythonJson<{ prefix: string }>(
      `
import json, sys
import numpy as np, tensorflow as tf, keras
d = sys.argv[1]
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh", name="a"), keras.layers.Dense(2, name="b")], name="seq")
rng = np.random.default_rng(0)
model.set_weights([rng.standard_normal(w.shape).astype("float32") for w in model.weights])
open(d + "/model.json", "w").write(model.to_json())
x = rng.standard_normal((5, 3)).astype("float32")
np.save(d + "/x.npy", x)
np.save(d + "/y.npy", model.predict(x, verbose=0))
print(json.dumps({"prefix": tf.train.Checkpoint(model=model).save(d + "/ckpt")}))
`,
      { args: [dir] },
    );
    const { readFileSync } = await import("node:fs");
    const model = keras.models.modelFromJson(readFileSync(join(dir, "model.json"), "utf8"));
    const status = await new keras.Checkpoint({ model }).restore(py.prefix);
    status.assertConsumed();
    const y = model.predict(readNpy(readFileSync(join(dir, "x.npy")))) as HostTensor;
    const expected = toFloat32(readNpy(readFileSync(join(dir, "y.npy"))));
    const got = toFloat32(y);
    for (const [i, v] of expected.entries())
      expect(Math.abs(v - got[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(v)));
  });
});
