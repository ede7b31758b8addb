import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, hostTensor } from "@kerastore/core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Activation,
  Dense,
  Dropout,
  EngineError,
  Input,
  Layer,
  Model,
  Sequential,
  type Shape,
  applySavedTree,
  clearSession,
  cloneModel,
  customObjectScope,
  deserializeLayer,
  fromSavedModelData,
  getActivation,
  initBackend,
  toSavedModelData,
} from "../src/index.js";

beforeAll(async () => {
  await initBackend();
});

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

class NestedDenseLayer extends Layer {
  readonly dense1: Dense;
  readonly dense2: Dense;
  constructor(units: number, name?: string) {
    super({ name });
    this.dense1 = this.trackLayer(new Dense({ units, name: "dense_1" }), "dense_1");
    this.dense2 = this.trackLayer(new Dense({ units, name: "dense_2" }), "dense_2");
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.dense2.apply(this.dense1.apply(inputs as tf.Tensor));
  }
}

describe("names and weights", () => {
  it("names layers dense, dense_1, ... and starts again after clearSession", () => {
    clearSession();
    expect([new Dense({ units: 1 }).name, new Dense({ units: 1 }).name, new Dropout({ rate: 0.1 }).name]).toEqual([
      "dense",
      "dense_1",
      "dropout",
    ]);
    clearSession();
    expect(new Dense({ units: 1 }).name).toBe("dense");
  });

  it("orders a nested layer's weights as Keras 3 does, and as Keras 2 did once a sublayer is frozen", () => {
    clearSession();
    const model = new Sequential({ layers: [Input({ shape: [784] }), new NestedDenseLayer(10, "nested")] });
    const names = model.weights.map((v) => v.path);
    expect(names).toEqual([
      "sequential/nested/dense_1/kernel",
      "sequential/nested/dense_1/bias",
      "sequential/nested/dense_2/kernel",
      "sequential/nested/dense_2/bias",
    ]);
    (model.getLayer("nested") as NestedDenseLayer).dense1.trainable = false;
    // Keras 3 keeps `weights` in place and flips the flags ...
    expect(model.weights.map((v) => v.path)).toEqual(names);
    expect(model.weights.map((v) => v.trainable)).toEqual([false, false, true, true]);
    // ... while Keras 2's order (the guide's output, and H5 layer groups) puts the frozen ones last.
    expect(model.keras2Weights.map((v) => v.path)).toEqual([names[2], names[3], names[0], names[1]]);
    expect(model.trainableWeights.map((v) => v.path)).toEqual([names[2], names[3]]);
  });

  it("checks counts and shapes in setWeights", () => {
    const d = new Dense({ units: 2 });
    d.apply(tf.zeros([1, 3]));
    expect(() => d.setWeights([new Float32Array(6)])).toThrow(/it has 2 weights, 1 values given/);
    expect(() => d.setWeights([hostTensor("float32", [2, 3], new Float32Array(6)), new Float32Array(2)])).toThrow(
      EngineError,
    );
    d.setWeights([hostTensor("float32", [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])), [0.5, -0.5]]);
    expect(values(d.apply(tf.tensor2d([[1, 1, 1]])))).toEqual([9.5, 11.5]);
  });

  it("transfers weights layer to layer and functional to subclassed model (the guide)", () => {
    clearSession();
    const inputs = Input({ shape: [784], name: "digits" });
    let x = new Dense({ units: 64, activation: "relu", name: "dense_1" }).apply(inputs);
    x = new Dense({ units: 64, activation: "relu", name: "dense_2" }).apply(x);
    const outputs = new Dense({ units: 10, name: "predictions" }).apply(x);
    const functional = new Model({ inputs, outputs, name: "3_layer_mlp" });

    class SubclassedModel extends Model {
      readonly d1 = this.trackLayer(new Dense({ units: 64, activation: "relu", name: "dense_1" }));
      readonly d2 = this.trackLayer(new Dense({ units: 64, activation: "relu", name: "dense_2" }));
      readonly d3 = this.trackLayer(new Dense({ units: 10, name: "predictions" }));
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return this.d3.apply(this.d2.apply(this.d1.apply(inputs as tf.Tensor)));
      }
    }
    const subclassed = new SubclassedModel({ name: "subclassed" });
    subclassed.apply(tf.zeros([1, 784]));
    expect(subclassed.className).toBe("SubclassedModel");
    expect(subclassed.weights.map((v) => v.path)).toEqual([
      "subclassed/dense_1/kernel",
      "subclassed/dense_1/bias",
      "subclassed/dense_2/kernel",
      "subclassed/dense_2/bias",
      "subclassed/predictions/kernel",
      "subclassed/predictions/bias",
    ]);
    subclassed.setWeights(functional.getWeights());
    const probe = tf.randomNormal([3, 784]);
    expect(values(subclassed.apply(probe))).toEqual(values(functional.apply(probe)));
  });

  it("lets a stateless layer (Dropout) differ between models whose weights transfer", () => {
    clearSession();
    const make = (dropout: boolean) => {
      const inputs = Input({ shape: [8] });
      let x = new Dense({ units: 4, activation: "relu" }).apply(inputs);
      if (dropout) x = new Dropout({ rate: 0.5 }).apply(x);
      return new Model({ inputs, outputs: new Dense({ units: 2 }).apply(x) });
    };
    const a = make(false);
    const b = make(true);
    b.setWeights(a.getWeights());
    const probe = tf.randomNormal([5, 8]);
    expect(values(b.apply(probe))).toEqual(values(a.apply(probe)));
  });
});

describe("configs", () => {
  it("round-trips a layer config and rebuilds equal layers", () => {
    const d = new Dense({ units: 3, activation: "tanh", useBias: false, kernelRegularizer: "l2" });
    const config = d.getConfig();
    expect(config.units).toBe(3);
    expect(config.activation).toBe("tanh");
    expect(config.use_bias).toBe(false);
    expect(config.kernel_regularizer).toEqual({
      module: "keras.regularizers",
      class_name: "L2",
      config: { l2: 0.01 },
      registered_name: null,
    });
    expect(Dense.fromConfig(config).getConfig()).toEqual(config);
  });

  it("rebuilds a custom layer and a custom activation through customObjectScope", () => {
    clearSession();
    const customActivation = function custom_activation(x: tf.Tensor): tf.Tensor {
      return tf.sigmoid(x);
    };
    class CustomLayer extends Layer {
      static readonly fields = [];
      units = 0;
      w: ReturnType<Layer["addWeight"]> | undefined;
      constructor(args: { units?: number; name?: string } = {}) {
        super(args);
        this.units = args.units ?? 32;
      }
      override build(inputShape: Shape | Shape[]): void {
        this.w = this.addWeight({
          name: "w",
          shape: [(inputShape as Shape)[1] as number, this.units],
          initializer: "RandomNormal",
        });
        super.build(inputShape);
      }
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.matMul(inputs as tf.Tensor2D, this.w!.value as tf.Tensor2D);
      }
      override getConfig(): JsonObject {
        return { ...super.getConfig(), units: this.units };
      }
      static override fromConfig<T extends Layer>(this: new (args: never) => T, config: JsonObject): T {
        return new this({ units: config.units, name: config.name } as never);
      }
    }
    const inputs = Input({ shape: [32] });
    const x = new CustomLayer({ units: 32 }).apply(inputs);
    const outputs = new Activation({ activation: customActivation }).apply(x);
    const model = new Model({ inputs, outputs });
    const config = model.toConfig();
    expect(() => deserializeLayer(config)).toThrow(/pass it in customObjects/);
    const rebuilt = customObjectScope({ CustomLayer, custom_activation: customActivation }, () =>
      deserializeLayer(config),
    ) as Model;
    rebuilt.setWeights(model.getWeights());
    expect(rebuilt.toConfig()).toEqual(config);
    const probe = tf.randomNormal([2, 32]);
    expect(values(rebuilt.apply(probe))).toEqual(values(model.apply(probe)));
  });

  it("clones a model with the same config and fresh weights", () => {
    clearSession();
    const model = new Sequential({ layers: [Input({ shape: [4] }), new Dense({ units: 3 })] });
    const clone = cloneModel(model);
    expect(clone.toConfig()).toEqual(model.toConfig());
    expect(clone.weights[0]).not.toBe(model.weights[0]);
    expect(Array.from(clone.weights[0]!.read().data)).not.toEqual(Array.from(model.weights[0]!.read().data));
  });

  it("computes hard_sigmoid as the Keras that wrote the config did", () => {
    const x = tf.tensor1d([-2, 0.5, 2]);
    const k3 = values(getActivation("hard_sigmoid", { kerasVersion: 3 }).fn(x));
    const k2 = values(getActivation("hard_sigmoid", { kerasVersion: 2 }).fn(x));
    [1 / 6, 3.5 / 6, 5 / 6].forEach((v, i) => {
      expect(k3[i]).toBeCloseTo(v, 6);
    });
    [0.1, 0.6, 0.9].forEach((v, i) => {
      expect(k2[i]).toBeCloseTo(v, 6);
    });
  });

  it("names the unknown class and the fix", () => {
    expect(() => deserializeLayer({ class_name: "Nope", config: {} })).toThrow(
      'unknown layer class "Nope": pass it in customObjects or register it with registerSerializable',
    );
    expect(() => deserializeLayer({ class_name: "Dense", config: { units: -1 } })).toThrow(
      /units must be a positive integer/,
    );
    expect(() => deserializeLayer([1, 2] as never)).toThrow(/expected \{"class_name"/);
  });
});

describe("saved tree", () => {
  function mlp(): Model {
    const inputs = Input({ shape: [5], name: "x" });
    const h = new Dense({ units: 4, activation: "relu", name: "h" }).apply(inputs);
    return new Model({ inputs, outputs: new Dense({ units: 2, name: "out" }).apply(h), name: "tree_mlp" });
  }

  it("turns a model into the tree the formats share, and back", () => {
    clearSession();
    const model = mlp();
    const data = toSavedModelData(model);
    expect(data.root.className).toBe("Functional");
    expect(data.root.children.map((e) => e.name)).toEqual(["x", "h", "out"]);
    expect(data.root.children[1]!.node.variables.map((v) => [v.name, v.path, v.trainable])).toEqual([
      ["kernel", "h/kernel", true],
      ["bias", "h/bias", true],
    ]);
    clearSession();
    const back = fromSavedModelData(data);
    const probe = tf.randomNormal([3, 5]);
    expect(values(back.apply(probe))).toEqual(values(model.apply(probe)));
  });

  it("matches a tree by topology, by name and by path", () => {
    clearSession();
    const source = mlp();
    const tree = toSavedModelData(source).root;
    const probe = tf.randomNormal([3, 5]);
    for (const match of ["topology", "name", "path"] as const) {
      clearSession();
      const target = mlp();
      expect(applySavedTree(target, tree, { match })).toBe(4);
      expect(values(target.apply(probe))).toEqual(values(source.apply(probe)));
    }
    const other = new Sequential({ layers: [Input({ shape: [5] }), new Dense({ units: 3 })] });
    expect(() => applySavedTree(other, tree)).toThrow(/it has 1 layers with weights, the file 2/);
  });
});

describe("predict", () => {
  it("splits into batches, joins the outputs, and leaves no tensors behind", () => {
    clearSession();
    const model = new Sequential({
      layers: [Input({ shape: [3] }), new Dense({ units: 2, activation: "relu" }), new Dropout({ rate: 0.5 })],
    });
    model.setWeights([Float32Array.from([1, 0, 0, 1, 1, 1]), Float32Array.from([0, -1])]);
    const x = hostTensor(
      "float32",
      [5, 3],
      Float32Array.from({ length: 15 }, (_, i) => i),
    );
    const before = tf.memory().numTensors;
    const y = model.predict(x, { batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.isArray(y)).toBe(false);
    const out = y as { shape: number[]; data: Float32Array };
    expect(out.shape).toEqual([5, 2]);
    // rows (i, i+1, i+2) -> (x0 + x2, x1 + x2 - 1): Dropout is off in inference.
    expect(Array.from(out.data)).toEqual([2, 2, 8, 8, 14, 14, 20, 20, 26, 26]);
  });
});
