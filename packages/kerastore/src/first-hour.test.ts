import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import { builtinLayerClasses, initializerNames, lossClassNames, metricClassNames } from "@kerastore/engine";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HostTensor, hostTensor, keras, readNpy, tf, writeNpy } from "./node.js";

// What a new user reaches for first, through the one import they have: the facade.

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-first-hour-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the keras namespaces", () => {
  it("keras.layers has every layer class the engine has, under its Keras name", () => {
    const layers = keras.layers as Record<string, unknown>;
    for (const [name, cls] of builtinLayerClasses()) {
      if (["Model", "Functional", "Sequential", "LSTMV2", "GRUV2"].includes(name)) continue;
      expect(layers[name], name).toBe(cls);
    }
    // Typed: these compile without a cast.
    const x = keras.Input({ shape: [8, 8, 1] });
    const y = new keras.layers.Conv2D({ filters: 2, kernelSize: 3 }).apply(x);
    const z = new keras.layers.BatchNormalization().apply(new keras.layers.GlobalAveragePooling2D().apply(y));
    expect(z.shape).toEqual([null, 2]);
    expect(keras.layers.LSTM.className).toBe("LSTM");
  });

  it("keras.initializers, keras.losses and keras.metrics make every built-in by its Keras class name", () => {
    const inits = keras.initializers as unknown as Record<string, (c?: JsonObject) => { className: string }>;
    for (const name of initializerNames) expect(inits[name]!().className, name).toBe(name);
    const losses = keras.losses as unknown as Record<string, (c?: JsonObject) => { className: string }>;
    for (const name of lossClassNames) expect(losses[name]!().className, name).toBe(name);
    const metrics = keras.metrics as unknown as Record<string, (c?: JsonObject) => { className: string }>;
    for (const name of metricClassNames) expect(metrics[name]!().className, name).toBe(name);
    expect(keras.losses.BinaryCrossentropy({ from_logits: true }).getConfig()).toMatchObject({ from_logits: true });
    expect(keras.initializers.Constant({ value: 2 }).apply([2]).arraySync()).toEqual([2, 2]);
  });

  it("keras.optimizers, keras.callbacks and keras.utils reach what a guide snippet uses", async () => {
    expect(new keras.optimizers.Adam({ learningRate: 0.5 }).getConfig()).toMatchObject({ learning_rate: 0.5 });
    expect(typeof keras.callbacks.EarlyStopping).toBe("function");
    const t = keras.utils.hostTensor("float32", [2], new Float32Array([1, 2]));
    expect(keras.utils.readNpy(keras.utils.writeNpy(t))).toEqual(t);
    expect(typeof keras.utils.registerSerializable).toBe("function");
    expect(keras.ops.convertToNumpy(keras.ops.convertToTensor(t))).toEqual(t);
    expect(keras.tf).toBe(tf);
    // The README's first snippet, with x defined from the package's own exports.
    const x: HostTensor = readNpy(writeNpy(hostTensor("float32", [1, 784], new Float32Array(784))));
    const model = await keras.models.loadModel(fixturePath("models", "3_layer_mlp", "model.keras"));
    expect(model.predictOne(x).shape).toEqual([1, 10]);
  });
});

describe("typed predict", () => {
  it("predictOne gives one tensor, predictMany a list; predict keeps its signature", async () => {
    const one = await keras.models.loadModel(fixturePath("models", "mlp_sequential", "model.keras"));
    const x = readFixtureNpy("models", "mlp_sequential", "input0.npy");
    const y: HostTensor = one.predictOne(x);
    expect(y.shape).toEqual(readFixtureNpy("models", "mlp_sequential", "output0.npy").shape);
    expect(one.predictMany(x)).toEqual([y]);
    expect(one.predict(x)).toEqual(y);
    const two = await keras.models.loadModel(fixturePath("models", "merge_functional", "model.keras"));
    const inputs = [
      readFixtureNpy("models", "merge_functional", "input0.npy"),
      readFixtureNpy("models", "merge_functional", "input1.npy"),
    ];
    expect(two.predictMany(inputs)).toHaveLength(2);
    expect(() => two.predictOne(inputs)).toThrow(
      /cannot predictOne with model "[^"]+": it has 2 outputs; call predictMany/,
    );
  });
});

describe("input shapes are checked before running, with Keras's message", () => {
  it("a Sequential names its first layer, a functional model itself", async () => {
    const seq = new keras.Sequential({
      layers: [keras.Input({ shape: [8] }), new keras.layers.Dense({ units: 2, name: "dense" })],
    });
    const bad = hostTensor("float32", [5, 7], new Float32Array(35));
    expect(() => seq.predict(bad)).toThrow(
      'Input 0 of layer "dense" is incompatible with the layer: expected shape=(None, 8), found shape=(5, 7)',
    );
    const fn = await keras.models.loadModel(fixturePath("models", "merge_functional", "model.keras"));
    expect(() => fn.predict([bad])).toThrow(/expects 2 input\(s\), but it received 1 input tensors/);
    seq.compile({ optimizer: "sgd", loss: "mse" });
    await expect(seq.fit(bad, hostTensor("float32", [5, 2], new Float32Array(10)))).rejects.toThrow(
      /cannot fit model "[^"]+": Input 0 of layer "dense"/,
    );
    const ok = hostTensor("float32", [5, 8], new Float32Array(40));
    expect(seq.predictOne(ok).shape).toEqual([5, 2]);
  });
});

describe("what a first program gets wrong", () => {
  it("plain arrays as input say what to pass instead", () => {
    const seq = new keras.Sequential({ layers: [keras.Input({ shape: [4] }), new keras.layers.Dense({ units: 1 })] });
    expect(() => seq.predict([[1, 2, 3, 4]] as never)).toThrow(/input 0 is an array, not a tensor; pass a HostTensor/);
  });
});

describe("a built-in Keras layer the engine lacks", () => {
  it("is reported as not supported yet, not as a missing custom object", () => {
    const json = JSON.stringify({
      class_name: "Functional",
      config: {
        name: "m",
        layers: [
          {
            class_name: "InputLayer",
            name: "q",
            config: { name: "q", batch_shape: [null, 3, 4], dtype: "float32" },
            inbound_nodes: [],
          },
          {
            class_name: "RMSNormalization",
            module: "keras.layers",
            name: "rms",
            config: { name: "rms", axis: -1, epsilon: 1e-6 },
            inbound_nodes: [
              {
                args: [
                  {
                    class_name: "__keras_tensor__",
                    config: { shape: [null, 3, 4], dtype: "float32", keras_history: ["q", 0, 0] },
                  },
                ],
                kwargs: {},
              },
            ],
          },
        ],
        input_layers: [["q", 0, 0]],
        output_layers: [["rms", 0, 0]],
      },
    });
    expect(() => keras.models.modelFromJson(json)).toThrow(
      /Keras layer RMSNormalization is not supported by Kerastore yet/,
    );
    expect(() => keras.models.modelFromJson(json)).not.toThrow(/customObjects/);
  });
});
