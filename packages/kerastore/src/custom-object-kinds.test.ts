import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import { Constraint, type Dense, Initializer, Regularizer, tf } from "@kerastore/engine";
import { customObjectScope, registerSerializable } from "@kerastore/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

// A custom object of every kind a Dense and compile() name: activation, initializer,
// regularizer, constraint, loss and metric. Saved in every format that carries them and loaded
// back through each of the ways a name becomes known: the load's customObjects, an open
// customObjectScope, and registerSerializable. Without them the load fails naming the kind.

const scaledTanh = (x: tf.Tensor) => tf.mul(tf.tanh(x), 3);
const halves = (config: JsonObject) => new Initializer("Halves", config, (s, d) => tf.fill(s, 0.5, d));
const tenfold = (config: JsonObject) => new Regularizer("Tenfold", config, (x) => tf.mul(10, tf.sum(x)) as tf.Scalar);
const clipOne = (config: JsonObject) => new Constraint("ClipOne", config, (w) => tf.clipByValue(w, -1, 1));
const absLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.abs(tf.sub(yTrue, yPred)), -1);
const hits = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.cast(tf.less(tf.abs(tf.sub(yTrue, yPred)), 0.5), "float32");

// Registered the Keras way (`register_keras_serializable(package="Kinds")`): functions under
// `Kinds>name`, and classes of the object kinds, whose instances then serialize under that name.
const regTanh = (x: tf.Tensor) => scaledTanh(x);
class RegHalves extends Initializer {
  constructor(config: JsonObject = {}) {
    super("Halves", config, (s, d) => tf.fill(s, 0.5, d));
  }
  static fromConfig(config: JsonObject): RegHalves {
    return new RegHalves(config);
  }
}
class RegTenfold extends Regularizer {
  constructor(config: JsonObject = {}) {
    super("Tenfold", config, (x) => tf.mul(10, tf.sum(x)) as tf.Scalar);
  }
  static fromConfig(config: JsonObject): RegTenfold {
    return new RegTenfold(config);
  }
}
class RegClipOne extends Constraint {
  constructor(config: JsonObject = {}) {
    super("ClipOne", config, (w) => tf.clipByValue(w, -1, 1));
  }
  static fromConfig(config: JsonObject): RegClipOne {
    return new RegClipOne(config);
  }
}
const regAbsLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => absLoss(yTrue, yPred);
function regHits(yTrue: tf.Tensor, yPred: tf.Tensor) {
  return hits(yTrue, yPred);
}
registerSerializable(regTanh, { package: "Kinds", name: "scaled_tanh" });
registerSerializable(RegHalves, { package: "Kinds", name: "Halves" });
registerSerializable(RegTenfold, { package: "Kinds", name: "Tenfold" });
registerSerializable(RegClipOne, { package: "Kinds", name: "ClipOne" });
registerSerializable(regAbsLoss, { package: "Kinds", name: "abs_loss" });
registerSerializable(regHits, { package: "Kinds", name: "hits" });

const customObjects = {
  scaledTanh,
  Halves: halves,
  Tenfold: tenfold,
  ClipOne: clipOne,
  absLoss,
  hits,
};

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-kinds-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A SavedModel is a TensorFlow graph: it holds TF ops, never a JS function, so its model keeps a
// built-in activation (a custom one is refused at save, below); every other kind is custom.
function model(registered: boolean, graph = false) {
  const inputs = keras.Input({ shape: [3] });
  const outputs = new keras.layers.Dense({
    units: 2,
    name: "custom",
    activation: graph ? "tanh" : registered ? regTanh : scaledTanh,
    kernelInitializer: registered ? new RegHalves() : halves({}),
    kernelRegularizer: registered ? new RegTenfold() : tenfold({}),
    kernelConstraint: registered ? new RegClipOne() : clipOne({}),
  }).apply(inputs);
  const m = new keras.Model({ inputs, outputs });
  m.compile({
    optimizer: "adam",
    loss: registered ? regAbsLoss : absLoss,
    metrics: [registered ? regHits : hits],
  });
  return m;
}

const x = { dtype: "float32" as const, shape: [2, 3], data: new Float32Array([1, 2, 3, -1, 0.5, 4]) };
const predict = (m: { predict(x: unknown): unknown }) => Array.from((m.predict(x) as { data: Float32Array }).data);

// The formats that hold a whole model with its compile information, .json (the config only),
// and a SavedModel directory (a graph, with Keras's metadata beside it).
const FORMATS = [
  ["keras", "m.keras", true, false],
  ["h5", "m.h5", true, false],
  ["json", "m.json", false, false],
  ["savedmodel", "m_savedmodel", true, true],
] as const;

function expectCustom(
  loaded: InstanceType<typeof keras.Model>,
  compiled: boolean,
  fns: typeof customObjects,
  graph: boolean,
) {
  const dense = loaded.getLayer("custom") as unknown as Dense;
  if (graph) expect(dense.activation.name).toBe("tanh");
  else expect(dense.activation.fn).toBe(fns.scaledTanh);
  expect(dense.activation.builtin).toBe(graph);
  expect(dense.kernelInitializer.className).toBe("Halves");
  expect(dense.kernelRegularizer?.className).toBe("Tenfold");
  expect(dense.kernelConstraint?.className).toBe("ClipOne");
  if (!compiled) return;
  const state = loaded.compiledState;
  expect(state, "the model is compiled again from the file").toBeDefined();
  expect(state!.losses[0]!.fn).toBe(fns.absLoss);
  expect(state!.metrics.map((m) => m.metric.name)).toContain("hits");
}

describe("a custom object of every kind, in every format", () => {
  it.each(FORMATS)(
    "%s: loads with the load's customObjects, in an open scope, and fails naming the kind without",
    async (_, file, compiled, graph) => {
      const m = model(false, graph);
      const path = join(dir, `plain-${file}`);
      // The SavedModel writer rebuilds the model from its config: the objects must be known then.
      await customObjectScope(customObjects, () => m.save(path));
      const fromCustom = await keras.models.loadModel(path, { customObjects });
      expectCustom(fromCustom, compiled, customObjects, graph);
      if (compiled) expect(predict(fromCustom)).toEqual(predict(m));
      const fromScope = await customObjectScope(customObjects, () => keras.models.loadModel(path));
      expectCustom(fromScope, compiled, customObjects, graph);
      // The load's customObjects win over an open scope's.
      let calls = 0;
      const other = (c: JsonObject) => {
        calls++;
        return halves(c);
      };
      await customObjectScope(customObjects, () => keras.models.loadModel(path, { customObjects: { Halves: other } }));
      expect(calls).toBe(1);
      await expect(keras.models.loadModel(path)).rejects.toThrow(
        graph
          ? /initializer "Halves".*customObjects.*registerSerializable/
          : /activation "scaledTanh".*customObjects.*registerSerializable/,
      );
    },
  );

  it.each(FORMATS)(
    "%s: registered objects save under Kinds>Name and load with nothing passed",
    async (_, file, compiled, graph) => {
      const m = model(true, graph);
      const path = join(dir, `registered-${file}`);
      await m.save(path);
      const loaded = await keras.models.loadModel(path);
      const dense = loaded.getLayer("custom") as unknown as Dense;
      if (!graph) expect(dense.activation.fn).toBe(regTanh);
      expect(dense.kernelInitializer).toBeInstanceOf(RegHalves);
      expect(dense.kernelRegularizer).toBeInstanceOf(RegTenfold);
      expect(dense.kernelConstraint).toBeInstanceOf(RegClipOne);
      if (compiled) {
        expect(loaded.compiledState!.losses[0]!.fn).toBe(regAbsLoss);
        expect(loaded.compiledState!.metrics.map((m) => m.metric.name)).toContain("hits");
      }
      expect(JSON.stringify(loaded.toConfig())).toContain(
        graph ? '"registered_name":"Kinds>Halves"' : '"config":"Kinds>scaled_tanh"',
      );
      if (compiled) expect(predict(loaded)).toEqual(predict(m));
    },
  );
});

describe("a SavedModel holds a graph", () => {
  it("a custom activation is refused at save, naming the layer and the formats that hold it", async () => {
    const path = join(dir, "activation_savedmodel");
    await expect(customObjectScope(customObjects, () => model(false).save(path))).rejects.toThrow(
      /activation "scaledTanh" has no TensorFlow lowering.*save to .keras or .h5/,
    );
  });
});
