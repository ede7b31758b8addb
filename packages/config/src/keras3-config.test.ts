import { describe, expect, it } from "vitest";
import { keras3LayerConfig, readModelJson, writeModelJson } from "./index.js";

type Layer = { class_name: string; config: Record<string, unknown> };
const layersOf = (json: Record<string, unknown>): Layer[] => (json["config"] as { layers: Layer[] }).layers;

// What Keras 3.15's constructors reject from Keras 2 configs ("Unrecognized keyword arguments"),
// found by loading Kerastore's .keras files of ../shared/realworld in Keras 3 (packages/interop/test/write-everywhere.test.ts).
describe("keras3LayerConfig", () => {
  it("drops time_major from recurrent layers, groups from DepthwiseConv2D, batch shapes from every layer but InputLayer", () => {
    expect(
      keras3LayerConfig({ name: "lstm", units: 3, time_major: false, batch_input_shape: [null, 4, 2] }, "LSTM"),
    ).toEqual({ name: "lstm", units: 3 });
    expect(keras3LayerConfig({ name: "gru", time_major: false }, "GRU")).toEqual({ name: "gru" });
    expect(keras3LayerConfig({ name: "dw", groups: 1, depth_multiplier: 2 }, "DepthwiseConv2D")).toEqual({
      name: "dw",
      depth_multiplier: 2,
    });
    expect(keras3LayerConfig({ name: "c", groups: 2, batch_shape: [null, 8, 8, 4] }, "Conv2D")).toEqual({
      name: "c",
      groups: 2,
    });
    expect(keras3LayerConfig({ name: "in", batch_shape: [null, 3] }, "InputLayer")).toEqual({
      name: "in",
      batch_shape: [null, 3],
    });
  });

  it("cleans the layers nested in wrappers (Bidirectional, TimeDistributed, RNN cells) too", () => {
    const inner = {
      module: "keras.layers",
      class_name: "LSTM",
      config: { name: "l", time_major: false },
      registered_name: null,
    };
    const out = keras3LayerConfig({ name: "bi", layer: inner, backward_layer: inner }, "Bidirectional");
    expect(out).toEqual({
      name: "bi",
      layer: { ...inner, config: { name: "l" } },
      backward_layer: { ...inner, config: { name: "l" } },
    });
    const rnn = keras3LayerConfig(
      { name: "rnn", time_major: true, cell: { class_name: "GRUCell", config: { name: "c" } } },
      "RNN",
    );
    expect(rnn).toEqual({ name: "rnn", cell: { class_name: "GRUCell", config: { name: "c" } } });
  });

  it("gives back a config Keras 3 wrote as it was", () => {
    const config = {
      name: "d",
      units: 2,
      dtype: { module: "keras", class_name: "DTypePolicy", config: { name: "float32" }, registered_name: null },
    };
    expect(keras3LayerConfig(config, "Dense")).toEqual(config);
  });
});

describe("writing the Keras 3 dialect of a Keras 2 model", () => {
  it("a Sequential whose first layer has batch_input_shape starts with an InputLayer; no layer keeps a batch shape or time_major", () => {
    const json = {
      class_name: "Sequential",
      config: {
        name: "sequential",
        layers: [
          {
            class_name: "LSTM",
            config: { name: "lstm", units: 4, time_major: false, batch_input_shape: [null, 128, 33], dtype: "float32" },
          },
          { class_name: "Dense", config: { name: "dense", units: 5, dtype: "float32" } },
        ],
      },
      keras_version: "2.8.0",
    };
    const layers = layersOf(writeModelJson(readModelJson(json), { dialect: "keras3" }));
    expect(layers.map((l) => l.class_name)).toEqual(["InputLayer", "LSTM", "Dense"]);
    expect(layers[0]!.config).toEqual({
      batch_shape: [null, 128, 33],
      dtype: "float32",
      sparse: false,
      ragged: false,
      name: "lstm_input",
    });
    expect(Object.keys(layers[1]!.config)).not.toContain("time_major");
    expect(Object.keys(layers[1]!.config)).not.toContain("batch_shape");
    expect(Object.keys(layers[1]!.config)).not.toContain("batch_input_shape");
  });

  it("a Keras 3 Sequential with its InputLayer and a first layer still carrying batch_shape (a model read from Keras 2) loses the copy", () => {
    const policy = { module: "keras", class_name: "DTypePolicy", config: { name: "float32" }, registered_name: null };
    const json = {
      module: "keras",
      class_name: "Sequential",
      config: {
        name: "sequential",
        layers: [
          {
            module: "keras.layers",
            class_name: "InputLayer",
            config: { batch_shape: [null, 28, 28, 1], dtype: "float32", name: "conv2d_input" },
            registered_name: null,
          },
          {
            module: "keras.layers",
            class_name: "Conv2D",
            config: { name: "conv2d", dtype: policy, filters: 2, batch_shape: [null, 28, 28, 1] },
            registered_name: null,
          },
        ],
      },
      registered_name: null,
    };
    const layers = layersOf(writeModelJson(readModelJson(json), { dialect: "keras3" }));
    expect(layers.map((l) => l.class_name)).toEqual(["InputLayer", "Conv2D"]);
    expect(layers[0]!.config["batch_shape"]).toEqual([null, 28, 28, 1]);
    expect(layers[1]!.config).toEqual({ name: "conv2d", dtype: policy, filters: 2 });
  });

  it("a Keras 3 Sequential without an InputLayer whose first layer has batch_shape gets one, named as Keras 2 named it", () => {
    const policy = { module: "keras", class_name: "DTypePolicy", config: { name: "float16" }, registered_name: null };
    const json = {
      module: "keras",
      class_name: "Sequential",
      config: {
        name: "s",
        layers: [
          {
            module: "keras.layers",
            class_name: "Dense",
            config: { name: "d", dtype: policy, units: 1, batch_shape: [null, 3] },
            registered_name: null,
          },
        ],
      },
      registered_name: null,
    };
    const layers = layersOf(writeModelJson(readModelJson(json), { dialect: "keras3" }));
    expect(layers.map((l) => l.class_name)).toEqual(["InputLayer", "Dense"]);
    expect(layers[0]!.config).toMatchObject({ batch_shape: [null, 3], dtype: "float16", name: "d_input" });
    expect(layers[1]!.config).toEqual({ name: "d", dtype: policy, units: 1 });
  });
});

describe("writing the Keras 2 dialect of a Keras 3 wrapper", () => {
  it("keeps the wrapped layer's module, without which Keras 3's legacy loader cannot locate its class", () => {
    const policy = { module: "keras", class_name: "DTypePolicy", config: { name: "float32" }, registered_name: null };
    const lstm = {
      module: "keras.layers",
      class_name: "LSTM",
      config: { name: "forward_lstm", dtype: policy, units: 2 },
      registered_name: null,
    };
    const json = {
      module: "keras",
      class_name: "Sequential",
      config: {
        name: "s",
        layers: [
          {
            module: "keras.layers",
            class_name: "InputLayer",
            config: { batch_shape: [null, 4, 3], dtype: "float32", name: "in" },
            registered_name: null,
          },
          {
            module: "keras.layers",
            class_name: "Bidirectional",
            config: { name: "bi", dtype: policy, layer: lstm, merge_mode: "concat" },
            registered_name: null,
          },
        ],
      },
      registered_name: null,
    };
    const layers = layersOf(writeModelJson(readModelJson(json), { dialect: "keras2" }));
    expect(layers[1]!.config["layer"]).toEqual({
      module: "keras.layers",
      class_name: "LSTM",
      config: { name: "forward_lstm", dtype: "float32", units: 2 },
    });
  });
});
