import { type JsonObject, hostTensor, toFloat32 } from "@kerastore/core";
import { readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EngineError,
  type FromConfigContext,
  Input,
  type Layer,
  Model,
  Sequential,
  clearSession,
  deserializeLayer,
  initBackend,
  tf,
} from "../index.js";
import { Conv1D, Conv2D, DepthwiseConv2D } from "./conv.js";
import { Embedding } from "./embedding.js";
import { extraLayerClasses } from "./extra-builtins.js";
import { flipConvKernel } from "./layer-utils.js";
import { BatchNormalization, LayerNormalization } from "./normalization.js";
import { MaxPooling2D } from "./pooling.js";
import { RandomRotation } from "./preprocessing.js";
import { GRU, LSTM, SimpleRNN } from "./recurrent.js";
import { Cropping2D, Permute, UpSampling2D, ZeroPadding2D } from "./reshaping.js";
import { Bidirectional, TimeDistributed } from "./wrappers.js";

const ctx: FromConfigContext = { customObjects: Object.fromEntries(extraLayerClasses()) };
const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};

function layerConfig(group: string, model: string, layer: string): JsonObject {
  const layers = (readFixtureJson<JsonObject>(group, model, "config.json").config as JsonObject).layers as JsonObject[];
  return layers.find((l) => (l.config as JsonObject).name === layer)!;
}

beforeAll(async () => {
  await initBackend();
});

describe("BatchNormalization in training", () => {
  it("normalizes with the batch's statistics and moves the moving ones by momentum 0.99, as Keras", () => {
    clearSession();
    const model = deserializeLayer(readFixtureJson<JsonObject>("layers", "bn_training", "config.json"), ctx) as Model;
    model.setWeights(
      Array.from({ length: 4 }, (_, i) => readFixtureNpy("layers", "bn_training", "weights", `${i}.npy`)),
    );
    const x = tf.tensor(toFloat32(readFixtureNpy("layers", "bn_training", "input0.npy")), [6, 4, 3]);
    const y = model.apply(x, { training: true });
    close(y.dataSync(), toFloat32(readFixtureNpy("layers", "bn_training", "train_output0.npy")));
    for (const [i, w] of model.getWeights().entries())
      close(toFloat32(w), toFloat32(readFixtureNpy("layers", "bn_training", "weights_after", `${i}.npy`)));
  });

  it("stays in inference mode when frozen", () => {
    clearSession();
    const bn = new BatchNormalization({ trainable: false });
    const x = tf.tensor2d([
      [1, 2],
      [3, 6],
    ]);
    bn.apply(x, { training: true });
    expect(values(bn.movingMean!.value)).toEqual([0, 0]);
    close(
      values(bn.apply(x, { training: true })),
      [1, 2, 3, 6].map((v) => v / Math.sqrt(1.001)),
    );
  });
});

describe("configs from TypeScript options", () => {
  it("writes Keras's tuples and defaults", () => {
    clearSession();
    const conv = new Conv2D({ filters: 2, kernelSize: 3, strides: 2 });
    const config = conv.getConfig();
    expect(config).toMatchObject({
      name: "conv2d",
      kernel_size: [3, 3],
      strides: [2, 2],
      dilation_rate: [1, 1],
      padding: "valid",
      groups: 1,
      activity_regularizer: null,
    });
    expect(new MaxPooling2D({ poolSize: 3 }).getConfig()).toMatchObject({
      pool_size: [3, 3],
      strides: [3, 3],
      padding: "valid",
    });
    expect(new ZeroPadding2D({ padding: 1 }).getConfig().padding).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(new Cropping2D({ cropping: [1, 2] }).getConfig().cropping).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(new UpSampling2D({ size: 2 }).getConfig().size).toEqual([2, 2]);
    expect(new LayerNormalization().getConfig().axis).toEqual([-1]);
    expect(new RandomRotation({ factor: 0.2 }).getConfig().factor).toEqual([-0.2, 0.2]);
    const lstm = new LSTM({ units: 3 });
    expect(lstm.getConfig()).toMatchObject({
      units: 3,
      recurrent_activation: "sigmoid",
      unit_forget_bias: true,
      return_sequences: false,
    });
    expect(lstm.getConfig().cell).toBeUndefined();
  });

  it("names cells and wrapper copies as Keras does", () => {
    clearSession();
    const inputs = Input({ shape: [4, 3] });
    const bi = new Bidirectional({ layer: new GRU({ units: 2 }), mergeMode: "sum" });
    const td = new TimeDistributed({ layer: new Conv1D({ filters: 2, kernelSize: 1 }) });
    const y = bi.apply(inputs);
    const model = new Model({ inputs, outputs: [y, td.apply(Input({ shape: [4, 5, 3] }))] });
    expect(model.weights.map((w) => w.path)).toEqual([
      "bidirectional/forward_gru/gru_cell/kernel",
      "bidirectional/forward_gru/gru_cell/recurrent_kernel",
      "bidirectional/forward_gru/gru_cell/bias",
      "bidirectional/backward_gru/gru_cell/kernel",
      "bidirectional/backward_gru/gru_cell/recurrent_kernel",
      "bidirectional/backward_gru/gru_cell/bias",
      "time_distributed/conv1d/kernel",
      "time_distributed/conv1d/bias",
    ]);
    expect(y.shape).toEqual([null, 2]);
  });
});

describe("recurrent layers", () => {
  it("takes initial states as extra inputs and returns the final ones", () => {
    clearSession();
    const lstm = new LSTM({ units: 2, returnState: true });
    const x = tf.ones([1, 3, 2]);
    const [, h0, c0] = lstm.applyMulti(x);
    const [, h1] = lstm.applyMulti([x, h0!, c0!]);
    // Six steps from zero equal three steps from the state after three.
    const [, h2] = lstm.applyMulti(tf.ones([1, 6, 2]));
    close(values(h1!), values(h2!));
    expect(() => lstm.applyMulti([x, h0!])).toThrow(/takes 2 initial states, got 1/);
  });

  it("keeps the states of a stateful layer between calls until resetStates", () => {
    clearSession();
    const rnn = new SimpleRNN({ units: 2, stateful: true });
    const first = values(rnn.apply(tf.ones([1, 2, 1])));
    const second = values(rnn.apply(tf.ones([1, 2, 1])));
    expect(second).not.toEqual(first);
    rnn.resetStates();
    expect(values(rnn.apply(tf.ones([1, 2, 1])))).toEqual(first);
  });

  it("reads Keras 2 keys: time_major, implementation, a GRU without reset_after, hard_sigmoid by version", () => {
    clearSession();
    const gru = deserializeLayer(
      { class_name: "GRU", config: { name: "g", units: 2, time_major: true, implementation: 2 } },
      ctx,
    ) as GRU;
    expect(gru.timeMajor).toBe(true);
    expect((gru.cell as unknown as { resetAfter: boolean }).resetAfter).toBe(false);
    const y = gru.apply(tf.ones([5, 1, 3]));
    expect(y.shape).toEqual([1, 2]);
    gru.build([null, 5, 3]);
    expect(gru.weights.map((w) => w.shape)).toEqual([[3, 6], [2, 6], [6]]);
    const cfg = {
      class_name: "LSTM",
      config: { name: "l", units: 1, recurrent_activation: "hard_sigmoid", activation: "linear", use_bias: false },
    };
    const run = (kerasVersion: 2 | 3): number => {
      const l = deserializeLayer(cfg, { ...ctx, kerasVersion }) as LSTM;
      l.apply(tf.zeros([1, 1, 1]));
      // kernel gates i, f, c, o = 1, 0, 1, 1: c = hs(1) * 1, h = hs(1) * c.
      l.setWeights([
        [1, 0, 1, 1],
        [0, 0, 0, 0],
      ]);
      return values(l.apply(tf.ones([1, 1, 1])))[0]!;
    };
    close([run(2)], [0.7 * 0.7]);
    close([run(3)], [(4 / 6) * (4 / 6)]);
  });

  it("reads a Keras 2 Bidirectional (inner layer without module, no backward_layer) like Keras 3's", () => {
    clearSession();
    const k3 = layerConfig("layers", "wrappers", "bi_concat");
    const inner = ((k3.config as JsonObject).layer as JsonObject).config as JsonObject;
    const k2 = {
      class_name: "Bidirectional",
      config: {
        name: "bidirectional_1",
        merge_mode: "concat",
        layer: { class_name: "LSTM", config: { ...inner, name: "lstm_1" } },
      },
    };
    const a = deserializeLayer(k3, ctx);
    const b = deserializeLayer(k2, ctx) as Bidirectional;
    expect(b.forwardLayer.name).toBe("forward_lstm_1");
    expect(b.backwardLayer.name).toBe("backward_lstm_1");
    expect(b.backwardLayer.goBackwards).toBe(true);
    const x = tf.tensor(toFloat32(readFixtureNpy("layers", "wrappers", "input0.npy")), [2, 5, 3]);
    a.apply(x);
    b.apply(x);
    b.setWeights(Array.from({ length: 6 }, (_, i) => readFixtureNpy("layers", "wrappers", "weights", `${i}.npy`)));
    a.setWeights(b.getWeights());
    close(values(b.apply(x)), toFloat32(readFixtureNpy("layers", "wrappers", "output0.npy")));
    close(values(a.apply(x)), values(b.apply(x)));
  });

  it("accepts Keras 2's groups on DepthwiseConv2D and its aliases", () => {
    clearSession();
    const d = deserializeLayer(
      {
        class_name: "DepthwiseConv2D",
        config: { name: "dw", kernel_size: [3, 3], groups: 1, filters: 1, depth_multiplier: 1 },
      },
      ctx,
    );
    expect(d).toBeInstanceOf(DepthwiseConv2D);
    expect(extraLayerClasses().get("Convolution2D")).toBe(Conv2D);
  });
});

describe("hostile options and inputs", () => {
  it("names the layer, the option and what was expected", () => {
    clearSession();
    const make = (fn: () => Layer) => () => fn();
    expect(make(() => new Conv2D({ filters: 2, kernelSize: [3] }))).toThrow(
      /cannot make layer "conv2d": kernel_size must be an integer >= 1 or a list of 2, got \[3\]/,
    );
    expect(make(() => new Conv2D({ filters: 2, kernelSize: 3, padding: "full" }))).toThrow(
      /padding must be one of valid, same, causal/,
    );
    expect(make(() => new Conv2D({ filters: 3, kernelSize: 1, groups: 2 }))).toThrow(
      /groups must be a positive divisor of filters/,
    );
    expect(make(() => new Conv2D({ filters: 0, kernelSize: 1 }))).toThrow(EngineError);
    expect(make(() => new Conv2D({ filters: 2, kernelSize: 3, padding: "causal" }))).toThrow(
      /causal padding exists for Conv1D only/,
    );
    expect(make(() => new Permute({ dims: [1, 3] }))).toThrow(/dims must be a permutation/);
    expect(make(() => new Embedding({ inputDim: -1, outputDim: 2 }))).toThrow(/input_dim must be a positive integer/);
    expect(make(() => new Bidirectional({ layer: new Conv1D({ filters: 1, kernelSize: 1 }) }))).toThrow(
      /wraps a recurrent layer, got Conv1D/,
    );
    expect(make(() => new LSTM({ units: 0 }))).toThrow(/units must be a positive integer/);
    // No arguments at all: the same typed error, not a TypeError from reading undefined.
    expect(make(() => new (LSTM as unknown as new () => LSTM)())).toThrow(/units must be a positive integer/);
    expect(make(() => new (GRU as unknown as new () => GRU)())).toThrow(/units must be a positive integer/);
    expect(() => deserializeLayer({ class_name: "TimeDistributed", config: { name: "td" } }, ctx)).toThrow(
      /expected a "layer" object/,
    );
    expect(() => deserializeLayer({ class_name: "Bidirectional", config: { name: "b", layer: 3 } }, ctx)).toThrow(
      /expected a "layer" object/,
    );
  });

  it("refuses ids outside the table and inputs of the wrong rank", () => {
    clearSession();
    const e = new Embedding({ inputDim: 3, outputDim: 2 });
    expect(e.apply(tf.tensor2d([[0, 2]], undefined, "int32")).shape).toEqual([1, 2, 2]);
    expect(() => e.apply(tf.tensor2d([[0, 3]], undefined, "int32"))).toThrow(/ids must be in \[0, 3\), got 3/);
    expect(() => e.apply(tf.tensor2d([[-1, 0]], undefined, "int32"))).toThrow(/got -1/);
    expect(() => new Conv2D({ filters: 1, kernelSize: 1 }).apply(tf.zeros([1, 2, 2]))).toThrow(
      /expected an input of rank 4 with known channels/,
    );
    expect(() => new LSTM({ units: 1 }).apply(tf.zeros([1, 2]))).toThrow(/expected input of rank 3/);
    expect(() => new Sequential({ layers: [Input({ shape: [2, 2, 1] }), new Cropping2D({ cropping: 2 })] })).toThrow(
      /gives an output of shape \[null,-2,-2,1\]/,
    );
    expect(
      () => new Sequential({ layers: [Input({ shape: [2, 2, 1] }), new Conv2D({ filters: 1, kernelSize: 3 })] }),
    ).toThrow(/cannot build Conv2D layer "conv2d_\d+": an input of shape \[null,2,2,1\]/);
    expect(() => new Sequential({ layers: [Input({ shape: [1, 1] }), new MaxPooling2D()] })).toThrow(EngineError);
  });
});

describe("Theano-era kernels", () => {
  it("flips every spatial axis of a convolution kernel", () => {
    // [2, 2, 1, 1]: [[a, b], [c, d]] -> [[d, c], [b, a]].
    const k = flipConvKernel(hostTensor("float32", [2, 2, 1, 1], Float32Array.from([1, 2, 3, 4])));
    expect(Array.from(toFloat32(k))).toEqual([4, 3, 2, 1]);
    const k1 = flipConvKernel(hostTensor("float32", [3, 1, 2], Float32Array.from([1, 2, 3, 4, 5, 6])));
    expect(Array.from(toFloat32(k1))).toEqual([5, 6, 3, 4, 1, 2]);
    expect(() => flipConvKernel(hostTensor("float32", [2], Float32Array.from([1, 2])))).toThrow(
      /expected rank 3 or more/,
    );
  });
});

describe("Keras 3's own layer configs (configs/objects/layers.json)", () => {
  const objects = readFixtureJson<Record<string, JsonObject>>("configs", "objects", "layers.json");
  const mine = extraLayerClasses();
  const names = Object.keys(objects).filter((k) => mine.has(objects[k]!.class_name as string));

  it("covers the classes registered here", () => {
    expect(names.length).toBeGreaterThanOrEqual(25);
  });

  it.each(names)("%s: deserializes, builds from build_config and serializes back equal", (key) => {
    clearSession();
    const envelope = objects[key]!;
    const layer = deserializeLayer(envelope, ctx);
    const config = envelope.config as JsonObject;
    expect(layer.getConfig()).toEqual(config);
    if (envelope.build_config !== undefined) {
      expect(layer.built).toBe(true);
      expect(layer.getBuildConfig()).toEqual(envelope.build_config);
    }
  });
});
