import { beforeAll, describe, expect, it } from "vitest";
import { type Model, clearSession, initBackend, modelFromJson, tf } from "../src/index.js";

// Keras 2 era JSON, in the shapes real files have (see ../shared/realworld): class `Model`,
// inbound nodes as [[[layer, node, tensor, kwargs]]], envelopes without `module`, a
// `batch_input_shape` on the InputLayer and on a Sequential's first layer, a list-shaped
// Sequential config (Keras 2.0), and Keras 2 initializer/regularizer spellings.
const keras2Functional = {
  class_name: "Model",
  keras_version: "2.0.8",
  config: {
    name: "model_1",
    input_layers: [["input_1", 0, 0]],
    output_layers: [["act", 0, 0]],
    layers: [
      {
        class_name: "InputLayer",
        name: "input_1",
        inbound_nodes: [],
        config: { batch_input_shape: [null, 4], dtype: "float32", name: "input_1", sparse: false },
      },
      {
        class_name: "Dense",
        name: "fc1",
        inbound_nodes: [[["input_1", 0, 0, {}]]],
        config: {
          name: "fc1",
          trainable: true,
          units: 3,
          activation: "linear",
          use_bias: true,
          activity_regularizer: null,
          kernel_initializer: {
            class_name: "VarianceScaling",
            config: { distribution: "uniform", mode: "fan_in", scale: 1.0, seed: null },
          },
          bias_initializer: { class_name: "Zeros", config: {} },
          kernel_regularizer: { class_name: "L1L2", config: { l1: 1e-4, l2: 0.0 } },
          bias_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      },
      {
        class_name: "Activation",
        name: "act",
        inbound_nodes: [[["fc1", 0, 0, {}]]],
        config: { name: "act", trainable: true, activation: "hard_sigmoid" },
      },
    ],
  },
};

const keras2Sequential = {
  class_name: "Sequential",
  keras_version: "2.0.6",
  config: [
    {
      class_name: "Dense",
      config: {
        name: "d1",
        units: 2,
        activation: "relu",
        use_bias: true,
        batch_input_shape: [null, 3],
        dtype: "float32",
        kernel_initializer: { class_name: "glorot_uniform", config: {} },
      },
    },
    { class_name: "Dense", config: { name: "d2", units: 1, activation: "hard_sigmoid" } },
  ],
};

beforeAll(async () => {
  await initBackend();
});

describe("Keras 2 dialect", () => {
  it("reads a Keras 2 functional config and computes Keras 2's hard_sigmoid", () => {
    clearSession();
    const model = modelFromJson(JSON.stringify(keras2Functional), { kerasVersion: 2 });
    expect(model.layers.map((l) => l.name)).toEqual(["input_1", "fc1", "act"]);
    model.setWeights([new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]), new Float32Array([0, 0, 0])]);
    const y = model.apply(tf.tensor2d([[-3, 1, 4, 9]])).dataSync();
    // clip(0.2 x + 0.5, 0, 1) on [-3, 1, 4]; Keras 3's relu6(x + 3) / 6 would give [0, 0.667, 1].
    expect(Array.from(y).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0.7, 1]);
    const k3 = modelFromJson(JSON.stringify(keras2Functional));
    k3.setWeights(model.getWeights());
    expect(k3.apply(tf.tensor2d([[-3, 1, 4, 9]])).dataSync()[1]).toBeCloseTo(4 / 6, 6);
  });

  it("reads a Keras 2.0 list-shaped Sequential with batch_input_shape on its first layer", () => {
    clearSession();
    const model = modelFromJson(keras2Sequential, { kerasVersion: 2 }) as Model;
    expect(model.className).toBe("Sequential");
    expect(model.layers.map((l) => l.name)).toEqual(["d1", "d2"]);
    expect(model.weights.map((w) => w.shape)).toEqual([[3, 2], [2], [2, 1], [1]]);
    // It writes Keras 3 back: an explicit InputLayer with the batch shape.
    const config = model.getConfig() as { layers: { class_name: string; config: { batch_shape?: unknown } }[] };
    expect(config.layers[0]).toMatchObject({ class_name: "InputLayer", config: { batch_shape: [null, 3] } });
    // Keras 3's Dense rejects batch_shape ("Unrecognized keyword arguments"): only the InputLayer has it.
    expect(config.layers.slice(1).map((l) => l.config.batch_shape)).toEqual([undefined, undefined]);
  });
});

describe("hostile configs", () => {
  it("refuses models nested deeper than 64 levels instead of exhausting the stack", () => {
    let config: Record<string, unknown> = { class_name: "Dense", config: { units: 1 } };
    for (let i = 0; i < 200; i++) config = { class_name: "Sequential", config: { name: `s${i}`, layers: [config] } };
    expect(() => modelFromJson(config as never)).toThrow(/nests models more than 64 deep/);
  });

  it("names a dangling inbound node", () => {
    const bad = structuredClone(keras2Functional);
    bad.config.layers[2]!.inbound_nodes = [[["missing", 0, 0, {}]]];
    expect(() => modelFromJson(bad as never)).toThrow(/a node refers to unknown layer "missing"/);
  });
});
