// The guide's "定义配置方法" snippet: a custom layer with get_config, serialized and
// deserialized again with custom_objects={"CustomLayer": CustomLayer}.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { deserialize, serialize } from "@kerastore/config";
import { createRegistry } from "@kerastore/registry";

class CustomLayer {
  a: number;
  constructor(config: { a: number }) {
    this.a = config.a;
  }
  getConfig() {
    return { a: this.a };
  }
  // No fromConfig: `new CustomLayer(config)` is the default, as `cls(**config)` is in Keras.
}

export async function main(): Promise<void> {
  const layer = new CustomLayer({ a: 5 });
  layer.a = 2;

  // What the guide prints for tf.keras.layers.serialize(layer): the Keras 2 envelope.
  const registry = createRegistry();
  const legacy = serialize(layer, { registry, dialect: "keras2" });
  deepStrictEqual(legacy, { class_name: "CustomLayer", config: { a: 2 } });

  // The Keras 3 envelope of an unregistered class: module null, registered_name its class name.
  const serialized = serialize(layer, { registry });
  deepStrictEqual(serialized, {
    module: null,
    class_name: "CustomLayer",
    config: { a: 2 },
    registered_name: "CustomLayer",
  });

  const newLayer = deserialize(serialized, { registry, customObjects: { CustomLayer }, kind: "layer" });
  strictEqual(newLayer instanceof CustomLayer, true);
  strictEqual((newLayer as CustomLayer).a, 2);
}
