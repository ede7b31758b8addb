import { describe, expect, it } from "vitest";
import {
  ConfigError,
  batchShapeOf,
  dtypePolicyOf,
  modelFromJsonText,
  readModelJson,
  stringifyPython,
  tensorRefsIn,
  toJson,
  writeModelJson,
} from "./index.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.code;
    throw error;
  }
  return undefined;
}

const keras2Functional = {
  class_name: "Model",
  config: {
    name: "m",
    layers: [
      {
        name: "in",
        class_name: "InputLayer",
        config: { batch_input_shape: [null, 3], dtype: "float32", name: "in" },
        inbound_nodes: [],
      },
      {
        name: "d",
        class_name: "Dense",
        config: { name: "d", units: 2, dtype: "float32" },
        inbound_nodes: [[["in", 0, 0, { training: false }]]],
      },
      {
        name: "gru",
        class_name: "GRU",
        config: { name: "gru", units: 1 },
        inbound_nodes: [
          [
            ["d", 0, 0, {}],
            ["in", 0, 0, {}],
          ],
        ],
      },
    ],
    input_layers: [["in", 0, 0]],
    output_layers: [["gru", 0, 0]],
  },
  keras_version: "2.2.4",
  backend: "tensorflow",
};

describe("readModelJson on Keras 2 JSON", () => {
  it("normalizes nodes, inputs and outputs", () => {
    const read = readModelJson(keras2Functional);
    expect(read.kerasVersion).toBe("2.2.4");
    expect(read.backend).toBe("tensorflow");
    const model = read.model;
    expect(model).toMatchObject({ kind: "functional", dialect: "keras2", className: "Model", nodeForm: "keras2" });
    expect(model.config).toEqual({ name: "m" });
    expect(model.inputs).toEqual([{ kind: "tensor", layer: "in", node: 0, tensor: 0 }]);
    expect(model.layers[1]!.nodes).toEqual([
      { args: [{ kind: "tensor", layer: "in", node: 0, tensor: 0 }], kwargs: { training: false } },
    ]);
    // Two entries: a list of inputs (the stateful GRU of frugally-deep passes its initial state so).
    expect(tensorRefsIn(model.layers[2]!.nodes![0]!.args[0])).toEqual([
      { kind: "tensor", layer: "d", node: 0, tensor: 0 },
      { kind: "tensor", layer: "in", node: 0, tensor: 0 },
    ]);
    expect(batchShapeOf(model.layers[0]!.config)).toEqual([null, 3]);
    expect(dtypePolicyOf(model.layers[1]!.config)).toBe("float32");
    expect(writeModelJson(read)).toEqual(keras2Functional);
  });

  it("reads the list-shaped Sequential config of Keras 2.0 and writes it back so", () => {
    const json = {
      class_name: "Sequential",
      config: [{ class_name: "Dense", config: { name: "dense_1", batch_input_shape: [25, 4], units: 1 } }],
    };
    const read = readModelJson(json);
    expect(read.model).toMatchObject({ kind: "sequential", listShaped: true });
    expect(read.model.layers[0]!.name).toBe("dense_1");
    expect(writeModelJson(read)).toEqual(json);
    // In the Keras 3 dialect the first layer's batch_input_shape becomes an InputLayer.
    const k3 = writeModelJson(read, { dialect: "keras3" });
    expect(k3).toMatchObject({ module: "keras", class_name: "Sequential", registered_name: null });
    const layers = (k3["config"] as { layers: Array<{ class_name: string; config: Record<string, unknown> }> }).layers;
    expect(layers.map((l) => l.class_name)).toEqual(["InputLayer", "Dense"]);
    expect(layers[0]!.config).toMatchObject({ batch_shape: [25, 4], name: "dense_1_input" });
    expect(layers[1]!.config).not.toHaveProperty("batch_input_shape");
  });

  it("keeps __passive_serialization__ and __tuple__ values as written", () => {
    const json = {
      class_name: "Sequential",
      config: {
        name: "s",
        layers: [
          {
            class_name: "Dense",
            config: {
              name: "d",
              kernel_initializer: {
                class_name: "GlorotUniform",
                config: { seed: null },
                __passive_serialization__: true,
              },
              shape: { class_name: "__tuple__", items: [1, 2] },
            },
          },
        ],
      },
    };
    expect(writeModelJson(readModelJson(json))).toEqual(json);
  });
});

describe("readModelJson on Keras 3 JSON", () => {
  it("reads DTypePolicy objects and batch_shape", () => {
    const config = {
      batch_shape: [null, 8],
      dtype: { module: "keras", class_name: "DTypePolicy", config: { name: "mixed_bfloat16" }, registered_name: null },
    };
    expect(batchShapeOf(config)).toEqual([null, 8]);
    expect(dtypePolicyOf(config)).toBe("mixed_bfloat16");
    expect(dtypePolicyOf({})).toBeUndefined();
  });
});

describe("hostile model JSON", () => {
  const cases: Array<[string, unknown, string, string]> = [
    [
      "not an object",
      [1],
      "invalid-config",
      'cannot read model config: expected an object with "class_name" and "config", got an array',
    ],
    [
      "no class name",
      { config: { layers: [] } },
      "invalid-config",
      "cannot read model config: class_name: expected a class name string, got nothing",
    ],
    [
      "layers not a list",
      { class_name: "Sequential", config: { layers: 3 } },
      "invalid-config",
      "cannot read model config: config.layers: expected a list of layers, got a number",
    ],
    [
      "layer without a name",
      { class_name: "Sequential", config: { layers: [{ class_name: "Dense", config: {} }] } },
      "invalid-config",
      'cannot read model config: config.layers[0]: expected the layer\'s "name" to be a string, got nothing',
    ],
    [
      "bad node",
      {
        class_name: "Functional",
        config: {
          layers: [{ class_name: "Dense", name: "d", config: {}, inbound_nodes: [[["x", "0", 0]]] }],
          input_layers: [],
          output_layers: [],
        },
      },
      "invalid-config",
      "cannot read model config: config.layers[0].inbound_nodes[0][0]: expected a layer name and two non-negative integer indices",
    ],
    [
      "functional without outputs",
      { class_name: "Functional", config: { layers: [], input_layers: [] } },
      "invalid-config",
      'cannot read model config: config: a Functional config needs "input_layers" and "output_layers"',
    ],
    [
      "bad output triple",
      { class_name: "Functional", config: { layers: [], input_layers: [], output_layers: [["x", 0]] } },
      "invalid-config",
      "cannot read model config: config.output_layers[0][0]: expected [layer_name, node_index, tensor_index] triples, got a string",
    ],
    [
      "module not a string",
      { module: 3, class_name: "Sequential", config: { layers: [] } },
      "invalid-config",
      "cannot read model config: module: expected a string or null, got a number",
    ],
  ];
  for (const [title, json, code, message] of cases) {
    it(`${title}: ${code}`, () => {
      expect(() => readModelJson(json)).toThrowError(message);
      expect(codeOf(() => readModelJson(json))).toBe(code);
    });
  }

  it("refuses absurd nesting and cycles without crashing", () => {
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const text = `{"class_name": "Sequential", "config": {"layers": [], "x": ${deep}}}`;
    expect(codeOf(() => modelFromJsonText(text, { source: "deep.json" }))).toBe("too-deep");
    expect(() => modelFromJsonText(text, { source: "deep.json" })).toThrowError(
      /^cannot read deep\.json: config\.x(\[0\])+ nests deeper than 512 levels$/,
    );
    const loop: Record<string, unknown> = { class_name: "Sequential", config: { layers: [] } };
    (loop["config"] as Record<string, unknown>)["self"] = loop;
    expect(codeOf(() => readModelJson(loop))).toBe("cycle");
  });

  it("refuses text that is not JSON, and reads Python's NaN", () => {
    expect(codeOf(() => modelFromJsonText("{not json"))).toBe("invalid-json");
    expect(() => modelFromJsonText("{not json", { source: "m.json" })).toThrowError(
      /^cannot read m\.json: it is not JSON/,
    );
    const read = modelFromJsonText(
      '{"class_name": "Sequential", "config": {"name": "NaN", "layers": [], "x": NaN, "y": -Infinity}}',
    );
    expect(read.model.config["name"]).toBe("NaN");
    expect(read.model.config["x"]).toBeNaN();
    expect(read.model.config["y"]).toBe(Number.NEGATIVE_INFINITY);
    expect(toJson(read)).toBe(
      '{"class_name": "Sequential", "config": {"name": "NaN", "x": NaN, "y": -Infinity, "layers": []}}',
    );
  });
});

describe("stringifyPython", () => {
  it("writes what Python's json.dumps writes", () => {
    expect(stringifyPython({ a: [1, 0.5, 1e-7, null, true], é: "ü\n" })).toBe(
      '{"a": [1, 0.5, 1e-07, null, true], "\\u00e9": "\\u00fc\\n"}',
    );
    expect(stringifyPython([])).toBe("[]");
    expect(stringifyPython({})).toBe("{}");
  });
});
