import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import { Constraint, type Dense, Initializer, Regularizer, tf } from "@kerastore/engine";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { keras } from "kerastore";
import { createRegistry, customObjectScope, registerSerializable } from "@kerastore/registry";
import { beforeAll, describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

// A custom object of every kind a layer and compile() name, registered in Keras 3.15 under
// `Kinds>name` (register_keras_serializable) and in Kerastore the same way: files Python writes
// (.keras, .h5) load here with customObjects, an open scope or the registry, predicting what
// Python predicted and compiled with the custom loss and metric; files Kerastore writes load in
// Python with its registered objects, predicting what Kerastore predicted, with the custom loss
// and metric compiled. (A SavedModel Kerastore writes is a TF graph; tf.saved_model.load runs it.)

const PY_OBJECTS = `
import json, os, sys
import numpy as np, keras
from keras import ops

@keras.saving.register_keras_serializable(package="Kinds", name="scaled_tanh")
def scaled_tanh(x):
    return ops.tanh(x) * 3.0

@keras.saving.register_keras_serializable(package="Kinds", name="Halves")
class Halves(keras.initializers.Initializer):
    def __call__(self, shape, dtype=None):
        return ops.full(shape, 0.5, dtype=dtype)
    def get_config(self):
        return {}

@keras.saving.register_keras_serializable(package="Kinds", name="Tenfold")
class Tenfold(keras.regularizers.Regularizer):
    def __call__(self, x):
        return 10.0 * ops.sum(x)
    def get_config(self):
        return {}

@keras.saving.register_keras_serializable(package="Kinds", name="ClipOne")
class ClipOne(keras.constraints.Constraint):
    def __call__(self, w):
        return ops.clip(w, -1.0, 1.0)
    def get_config(self):
        return {}

@keras.saving.register_keras_serializable(package="Kinds", name="abs_loss")
def abs_loss(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)

@keras.saving.register_keras_serializable(package="Kinds", name="hits")
def hits(y_true, y_pred):
    return ops.cast(ops.abs(y_true - y_pred) < 0.5, "float32")

X = np.array([[1, 2, 3], [-1, 0.5, 4]], dtype="float32")
`;

const PY_WRITE = `${PY_OBJECTS}
d = sys.argv[1]
inputs = keras.Input(shape=(3,))
outputs = keras.layers.Dense(2, name="custom", activation=scaled_tanh, kernel_initializer=Halves(),
    kernel_regularizer=Tenfold(), kernel_constraint=ClipOne())(inputs)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss=abs_loss, metrics=[hits])
model.layers[1].kernel.assign(np.array([[0.1, -0.2], [0.3, 0.05], [-0.4, 0.25]], dtype="float32"))
model.save(os.path.join(d, "py.keras"))
model.save(os.path.join(d, "py.h5"))
print(json.dumps(model.predict(X, verbose=0).tolist()))
`;

const PY_READ = `${PY_OBJECTS}
import tensorflow as tf
d = sys.argv[1]
out = {}
for name in ["ts.keras", "ts.h5"]:
    model = keras.saving.load_model(os.path.join(d, name))
    dense = model.get_layer("custom")
    out[name] = {
        "pred": model.predict(X, verbose=0).tolist(),
        "activation": dense.activation.__name__,
        "initializer": type(dense.kernel_initializer).__name__,
        "regularizer": type(dense.kernel_regularizer).__name__,
        "constraint": type(dense.kernel_constraint).__name__,
        "loss": getattr(model.loss, "__name__", str(model.loss)),
        "evaluate": model.evaluate(X, np.zeros((2, 2), "float32"), verbose=0, return_dict=True),
    }
fn = tf.saved_model.load(os.path.join(d, "ts_savedmodel")).signatures["serving_default"]
arg = list(fn.structured_input_signature[1].keys())[0]
out["savedmodel"] = {"pred": list(fn(**{arg: tf.constant(X)}).values())[0].numpy().tolist()}
print(json.dumps(out))
`;

// Kerastore's twins of the Python objects.
const scaledTanh = (x: tf.Tensor) => tf.mul(tf.tanh(x), 3);
class Halves extends Initializer {
  constructor(config: JsonObject = {}) {
    super("Halves", config, (s, d) => tf.fill(s, 0.5, d));
  }
  static fromConfig(config: JsonObject): Halves {
    return new Halves(config);
  }
}
class Tenfold extends Regularizer {
  constructor(config: JsonObject = {}) {
    super("Tenfold", config, (x) => tf.mul(10, tf.sum(x)) as tf.Scalar);
  }
  static fromConfig(config: JsonObject): Tenfold {
    return new Tenfold(config);
  }
}
class ClipOne extends Constraint {
  constructor(config: JsonObject = {}) {
    super("ClipOne", config, (w) => tf.clipByValue(w, -1, 1));
  }
  static fromConfig(config: JsonObject): ClipOne {
    return new ClipOne(config);
  }
}
const absLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1);
function hits(yTrue: tf.Tensor, yPred: tf.Tensor) {
  return tf.cast(tf.less(tf.abs(tf.sub(yTrue, yPred)), 0.5), "float32");
}

const byRegisteredName = {
  "Kinds>scaled_tanh": scaledTanh,
  "Kinds>Halves": Halves,
  "Kinds>Tenfold": Tenfold,
  "Kinds>ClipOne": ClipOne,
  "Kinds>abs_loss": absLoss,
  "Kinds>hits": hits,
};
// Users often key customObjects by the plain name; the bare part of `Kinds>name` finds them.
const byPlainName = {
  scaled_tanh: scaledTanh,
  Halves,
  Tenfold,
  ClipOne,
  abs_loss: absLoss,
  hits,
};

const x = { dtype: "float32" as const, shape: [2, 3], data: new Float32Array([1, 2, 3, -1, 0.5, 4]) };
const predict = (m: { predict(x: unknown): unknown }) => Array.from((m.predict(x) as { data: Float32Array }).data);

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = mkdtempSync(join(tmpdir(), "kerastore-custom-interop-"));
}, 60_000);

function expectCustom(model: InstanceType<typeof keras.Model>): void {
  const dense = model.getLayer("custom") as unknown as Dense;
  expect(dense.activation.fn).toBe(scaledTanh);
  expect(dense.kernelInitializer).toBeInstanceOf(Halves);
  expect(dense.kernelRegularizer).toBeInstanceOf(Tenfold);
  expect(dense.kernelConstraint).toBeInstanceOf(ClipOne);
  const state = model.compiledState;
  expect(state, "compiled from the file's compile information").toBeDefined();
  expect(state!.losses[0]!.fn).toBe(absLoss);
  expect(state!.metrics.map((m) => m.metric.name)).toContain("hits");
}

describe("custom objects of every kind across Keras 3.15 and Kerastore", () => {
  it("files Keras writes load with customObjects (registered or plain names), a scope, or the registry", async () => {
    const expected = (await runPythonJson<number[][]>(PY_WRITE, { args: [dir] })).flat();
    for (const file of ["py.keras", "py.h5"]) {
      const path = join(dir, file);
      for (const customObjects of [byRegisteredName, byPlainName]) {
        const loaded = await keras.models.loadModel(path, { customObjects });
        expectCustom(loaded);
        expectAllClose(predict(loaded), expected, { rtol: 1e-5, atol: 1e-6 });
      }
      expectCustom(await customObjectScope(byRegisteredName, () => keras.models.loadModel(path)));
      const registry = createRegistry();
      for (const [key, value] of Object.entries(byPlainName)) {
        registerSerializable(value as never, { package: "Kinds", name: key, registry });
      }
      expectCustom(await keras.models.loadModel(path, { registry }));
      await expect(keras.models.loadModel(path)).rejects.toThrow(
        /activation "Kinds>scaled_tanh".*customObjects.*registerSerializable/,
      );
    }
  }, 240_000);

  it("files Kerastore writes load in Keras with its registered objects, predicting the same", async () => {
    // Registered as register_keras_serializable does (the default registry): what Kerastore
    // writes names each object by its registered name.
    for (const [key, value] of Object.entries(byPlainName))
      registerSerializable(value as never, { package: "Kinds", name: key });
    const build = (activation: "custom" | "tanh") => {
      const inputs = keras.Input({ shape: [3] });
      const dense = new keras.layers.Dense({
        units: 2,
        name: "custom",
        activation: activation === "custom" ? scaledTanh : "tanh",
        kernelInitializer: new Halves(),
        kernelRegularizer: new Tenfold(),
        kernelConstraint: new ClipOne(),
      });
      const m = new keras.Model({ inputs, outputs: dense.apply(inputs) });
      m.compile({ optimizer: "adam", loss: absLoss, metrics: [hits] });
      return m;
    };
    const model = build("custom");
    const graph = build("tanh");
    for (const [m, file] of [
      [model, "ts.keras"],
      [model, "ts.h5"],
      [graph, "ts_savedmodel"],
    ] as const) {
      await m.save(join(dir, file));
    }
    // The config names the registered names, not the JS function names.
    expect(JSON.stringify(model.toConfig())).toContain('"config":"Kinds>scaled_tanh"');
    const got = await runPythonJson<Record<string, Record<string, unknown>>>(PY_READ, { args: [dir] });
    for (const file of ["ts.keras", "ts.h5"]) {
      const r = got[file]!;
      expect(r.activation).toBe("scaled_tanh");
      expect([r.initializer, r.regularizer, r.constraint]).toEqual(["Halves", "Tenfold", "ClipOne"]);
      expect(r.loss).toBe("abs_loss");
      // evaluate() runs the compiled loss and metric: its keys name them.
      expect(Object.keys(r.evaluate as object)).toEqual(expect.arrayContaining(["loss", "hits"]));
      expectAllClose((r.pred as number[][]).flat(), predict(model), { rtol: 1e-5, atol: 1e-6 });
    }
    expectAllClose((got.savedmodel!.pred as number[][]).flat(), predict(graph), { rtol: 1e-5, atol: 1e-6 });
    // The same loss (abs_loss plus Tenfold's penalty of the kernel) and metric value as Keras computes.
    const zeros = { dtype: "float32" as const, shape: [2, 2], data: new Float32Array(4) };
    const logs = await model.evaluate(x, zeros);
    const py = got["ts.keras"]!.evaluate as Record<string, number>;
    expectAllClose([logs.loss!, logs.hits!], [py.loss!, py.hits!], { rtol: 1e-5, atol: 1e-6 });
  }, 240_000);
});
