// The guide's "注册自定义对象" section: the three ways to make a custom class known
// (custom_objects in the load call, custom_object_scope, register_keras_serializable), and the
// error when none is used.
import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { deserialize, serialize } from "@kerastore/config";
import { createRegistry, customObjectScope, registerSerializable } from "@kerastore/registry";

class CustomLayer {
  units: number;
  constructor(config: { units?: number }) {
    this.units = config.units ?? 32;
  }
  getConfig() {
    return { name: "custom_layer", units: this.units };
  }
}

function customActivation(x: number): number {
  return Math.tanh(x) ** 2;
}

export async function main(): Promise<void> {
  // The registry stands for Keras's master list of built-ins; here it starts empty.
  const builtins = createRegistry();
  const config = { class_name: "CustomLayer", config: { name: "custom_layer", units: 16 } };

  // Not registered: a clear error that says how to fix it.
  throws(() => deserialize(config, { registry: builtins, kind: "layer" }), {
    message: 'unknown layer class "CustomLayer": pass it in customObjects or register it with registerSerializable',
  });

  // 1. customObjects in the call.
  const one = deserialize(config, { registry: builtins, customObjects: { CustomLayer }, kind: "layer" });
  strictEqual((one as CustomLayer).units, 16);

  // 2. customObjectScope: a scoped registry value handed to the function; scopes nest.
  const customObjects = { CustomLayer, custom_activation: customActivation };
  const [layer, activation] = customObjectScope(
    customObjects,
    (registry) => [
      deserialize(config, { registry, kind: "layer" }),
      deserialize("custom_activation", { registry, kind: "activation" }),
    ],
    { parent: builtins },
  );
  strictEqual(layer instanceof CustomLayer, true);
  strictEqual(activation, customActivation);

  // 3. registerSerializable: the key is "package>Name"; the package defaults to "Custom".
  const registry = createRegistry({ parent: builtins });
  registerSerializable(CustomLayer, { package: "MyPkg", registry });
  registerSerializable(customActivation, { registry, name: "custom_activation" });
  strictEqual(registry.nameOf(CustomLayer), "MyPkg>CustomLayer");
  strictEqual(registry.get("Custom>custom_activation"), customActivation);
  const json = serialize(new CustomLayer({ units: 8 }), { registry });
  deepStrictEqual(json, {
    module: null,
    class_name: "CustomLayer",
    config: { name: "custom_layer", units: 8 },
    registered_name: "MyPkg>CustomLayer",
  });
  strictEqual((deserialize(json, { registry, kind: "layer" }) as CustomLayer).units, 8);
  deepStrictEqual(serialize(customActivation, { registry }), {
    module: "builtins",
    class_name: "function",
    config: "Custom>custom_activation",
    registered_name: "function",
  });
}
