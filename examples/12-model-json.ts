// The guide's "to_json() 和 tf.keras.models.model_from_json()" snippet at the config level:
// model JSON text read into one structure (layers and their call nodes) and written back, in
// Keras 3's dialect and in Keras 2's. Building layers from it is the engine's part.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { modelFromJsonText, sortKeys, tensorRefsIn, toJson } from "@kerastore/config";

const jsonConfig = JSON.stringify({
  module: "keras.src.models.functional",
  class_name: "Functional",
  config: {
    name: "functional",
    trainable: true,
    layers: [
      {
        module: "keras.layers",
        class_name: "InputLayer",
        config: {
          batch_shape: [null, 32],
          dtype: "float32",
          sparse: false,
          ragged: false,
          name: "input_layer",
          optional: false,
        },
        registered_name: null,
        name: "input_layer",
        inbound_nodes: [],
      },
      {
        module: null,
        class_name: "CustomLayer",
        config: { name: "custom_layer", trainable: true, units: 32 },
        registered_name: "CustomLayer",
        name: "custom_layer",
        inbound_nodes: [
          {
            args: [
              {
                class_name: "__keras_tensor__",
                config: { shape: [null, 32], dtype: "float32", keras_history: ["input_layer", 0, 0] },
              },
            ],
            kwargs: {},
          },
        ],
      },
    ],
    input_layers: [["input_layer", 0, 0]],
    output_layers: [["custom_layer", 0, 0]],
  },
  registered_name: "Functional",
});

export async function main(): Promise<void> {
  const read = modelFromJsonText(jsonConfig);
  strictEqual(read.model.kind, "functional");
  deepStrictEqual(
    read.model.layers.map((l) => l.name),
    ["input_layer", "custom_layer"],
  );
  const call = read.model.layers[1]!.nodes![0]!;
  deepStrictEqual(
    tensorRefsIn(call.args[0]).map((t) => [t.layer, t.node, t.tensor]),
    [["input_layer", 0, 0]],
  );

  // Written back in its own dialect: the same JSON (after key order).
  deepStrictEqual(sortKeys(JSON.parse(toJson(read))), sortKeys(JSON.parse(jsonConfig)));

  // In the Keras 2 dialect: {class_name, config} layers and [layer, node, tensor, kwargs] nodes.
  const legacy = JSON.parse(toJson(read, { dialect: "keras2" }));
  deepStrictEqual(legacy.config.layers[1], {
    class_name: "CustomLayer",
    config: { name: "custom_layer", trainable: true, units: 32 },
    name: "custom_layer",
    inbound_nodes: [[["input_layer", 0, 0, {}]]],
  });
  deepStrictEqual(legacy.config.layers[0].config.batch_input_shape, [null, 32]);
}
