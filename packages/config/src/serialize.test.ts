import type { JsonObject } from "@kerastore/core";
import { createRegistry, registerSerializable } from "@kerastore/registry";
import { describe, expect, it } from "vitest";
import { ConfigError, type FromConfigOptions, deserialize, serialize } from "./index.js";

class GlorotUniform {
  constructor(readonly config: JsonObject) {}
  getConfig() {
    return { seed: this.config["seed"] ?? null, input_axes: null, output_axes: null };
  }
}

class Dense {
  units: number;
  activation: unknown;
  kernelInitializer: GlorotUniform;
  built: JsonObject | undefined;
  constructor(units: number, activation: unknown, init: GlorotUniform) {
    this.units = units;
    this.activation = activation;
    this.kernelInitializer = init;
  }
  static fromConfig(config: JsonObject, options: FromConfigOptions): Dense {
    const activation = deserialize(config["activation"], { registry: options.registry, kind: "activation" });
    const init = deserialize(config["kernel_initializer"], { registry: options.registry, kind: "initializer" });
    return new Dense(config["units"] as number, activation, init as GlorotUniform);
  }
  getConfig() {
    return {
      name: "dense",
      units: this.units,
      activation: this.activation,
      kernel_initializer: this.kernelInitializer,
    };
  }
  getBuildConfig() {
    return { input_shape: [null, 3] };
  }
  buildFromConfig(config: JsonObject) {
    this.built = config;
  }
}

function relu(x: number) {
  return Math.max(0, x);
}
function myAct(x: number) {
  return x;
}

class MyLayer {
  constructor(readonly config: JsonObject) {}
  getConfig() {
    return { name: "m", units: this.config["units"] };
  }
}

function builtins() {
  const registry = createRegistry();
  registry.register("Dense", Dense, { module: "keras.layers", kind: "layer" });
  registry.register("GlorotUniform", GlorotUniform, { module: "keras.initializers", kind: "initializer" });
  registry.register("relu", relu, { module: "keras.activations", kind: "activation" });
  return registry;
}

describe("serialize", () => {
  it("writes the Keras 3 envelope Keras 3.15 writes, build_config included", () => {
    const registry = builtins();
    registerSerializable(myAct, { package: "MyPkg", name: "my_act", registry });
    const dense = new Dense(2, myAct, new GlorotUniform({ seed: 1 }));
    expect(serialize(dense, { registry })).toEqual({
      module: "keras.layers",
      class_name: "Dense",
      config: {
        name: "dense",
        units: 2,
        activation: { module: "builtins", class_name: "function", config: "MyPkg>my_act", registered_name: "function" },
        kernel_initializer: {
          module: "keras.initializers",
          class_name: "GlorotUniform",
          config: { seed: 1, input_axes: null, output_axes: null },
          registered_name: null,
        },
      },
      registered_name: null,
      build_config: { input_shape: [null, 3] },
    });
    expect(serialize(relu, { registry })).toEqual({
      module: "builtins",
      class_name: "function",
      config: "relu",
      registered_name: "function",
    });
  });

  it("writes custom registered classes as Keras does: module null, registered_name package>Name", () => {
    const registry = createRegistry();
    registerSerializable(MyLayer, { package: "MyPkg", registry });
    expect(serialize(new MyLayer({ units: 3 }), { registry })).toEqual({
      module: null,
      class_name: "MyLayer",
      config: { name: "m", units: 3 },
      registered_name: "MyPkg>MyLayer",
    });
    expect(serialize(new MyLayer({ units: 3 }), { registry, dialect: "keras2" })).toEqual({
      class_name: "MyPkg>MyLayer",
      config: { name: "m", units: 3 },
    });
    // Unregistered: the bare class name, as Keras writes it.
    expect(serialize(new MyLayer({ units: 1 }), { registry: createRegistry() })).toMatchObject({
      module: null,
      class_name: "MyLayer",
      registered_name: "MyLayer",
    });
  });

  it("writes Keras 2 envelopes and function names", () => {
    const registry = builtins();
    expect(serialize(new Dense(4, relu, new GlorotUniform({})), { registry, dialect: "keras2" })).toEqual({
      class_name: "Dense",
      config: {
        name: "dense",
        units: 4,
        activation: "relu",
        kernel_initializer: {
          class_name: "GlorotUniform",
          config: { seed: null, input_axes: null, output_axes: null },
        },
      },
    });
  });

  it("refuses unregistered functions, cycles, depth and foreign objects with typed errors", () => {
    const registry = builtins();
    expect(() => serialize({ activation: myAct }, { registry })).toThrowError(
      'cannot serialize function "myAct" at activation: it is in no registry; register it with registerSerializable',
    );
    const loop: Record<string, unknown> = {};
    loop["self"] = loop;
    expect(() => serialize(loop)).toThrowError("cannot serialize self: the object contains itself");
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(() => serialize(deep)).toThrowError(/nests deeper than 512 levels/);
    expect(() => serialize({ when: new Map() })).toThrowError(
      "cannot serialize when: Map has no getConfig(); give the class a getConfig() method",
    );
    try {
      serialize(loop);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe("cycle");
    }
  });
});

describe("deserialize", () => {
  it("round-trips through fromConfig, nested objects included, in both dialects", () => {
    const registry = builtins();
    const dense = new Dense(2, relu, new GlorotUniform({ seed: 7 }));
    for (const dialect of ["keras3", "keras2"] as const) {
      const json = serialize(dense, { registry, dialect });
      const back = deserialize(json, { registry, kind: "layer" }) as Dense;
      expect(back).toBeInstanceOf(Dense);
      expect(back.units).toBe(2);
      expect(back.activation).toBe(relu);
      expect(back.kernelInitializer.getConfig().seed).toBe(7);
      expect(serialize(back, { registry, dialect })).toEqual(json);
      expect(back.built).toEqual(dialect === "keras3" ? { input_shape: [null, 3] } : undefined);
    }
  });

  it("uses new cls(config) when there is no fromConfig, and customObjects for one call", () => {
    const registry = builtins();
    const json = {
      module: null,
      class_name: "MyLayer",
      config: { name: "m", units: 5 },
      registered_name: "MyPkg>MyLayer",
    };
    const made = deserialize(json, { registry, customObjects: { MyLayer }, kind: "layer" }) as MyLayer;
    expect(made).toBeInstanceOf(MyLayer);
    expect(made.config).toEqual({ name: "m", units: 5 });
    expect(() => deserialize(json, { registry, kind: "layer" })).toThrowError(
      'unknown layer class "MyPkg>MyLayer": pass it in customObjects or register it with registerSerializable',
    );
  });

  it("says which kind is unknown", () => {
    const registry = builtins();
    expect(() => deserialize({ class_name: "CustomLayer", config: {} }, { registry, kind: "layer" })).toThrowError(
      'unknown layer class "CustomLayer": pass it in customObjects or register it with registerSerializable',
    );
    expect(() => deserialize("swishy", { registry, kind: "activation" })).toThrowError(
      'unknown activation function "swishy": pass it in customObjects or register it with registerSerializable',
    );
    expect(() => deserialize({ class_name: "Foo", config: {} }, { registry, kind: "initializer" })).toThrowError(
      'unknown initializer class "Foo": pass it in customObjects or register it with registerSerializable',
    );
    try {
      deserialize({ class_name: "Foo", config: {} }, { registry });
    } catch (error) {
      expect((error as ConfigError).code).toBe("unknown-name");
    }
  });

  it("reads function references, names, tuples and plain objects", () => {
    const registry = builtins();
    expect(deserialize("relu", { registry, kind: "activation" })).toBe(relu);
    expect(
      deserialize(
        { module: "builtins", class_name: "function", config: "relu", registered_name: "function" },
        { registry },
      ),
    ).toBe(relu);
    expect(deserialize(["relu", "relu"], { registry })).toEqual([relu, relu]);
    expect(deserialize({ class_name: "__tuple__", items: [1, 2] })).toEqual([1, 2]);
    expect(deserialize({ padding: "valid", sizes: [1, "x"] }, { registry })).toEqual({
      padding: "valid",
      sizes: [1, "x"],
    });
  });

  it("gives typed errors on hostile input", () => {
    const registry = builtins();
    const cases: Array<[unknown, string, string]> = [
      [
        { class_name: 3, config: {} },
        "invalid-config",
        'cannot read the value: expected "class_name" to be a string, got a number',
      ],
      [
        { class_name: "Dense", config: [1] },
        "invalid-config",
        'cannot read object "Dense" at the value: expected "config" to be an object, got an array',
      ],
      [
        { class_name: "function", config: 1 },
        "invalid-config",
        'cannot read the value: a function reference needs a string "config", got a number',
      ],
      [{ class_name: "__tuple__" }, "invalid-config", 'cannot read the value: a "__tuple__" needs an "items" array'],
    ];
    for (const [json, code, message] of cases) {
      expect(() => deserialize(json, { registry })).toThrowError(message);
      try {
        deserialize(json, { registry });
      } catch (error) {
        expect((error as ConfigError).code).toBe(code);
      }
    }
    let deep: unknown = { a: 1 };
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(() => deserialize(deep)).toThrowError(/nests deeper than 512 levels/);
    const loop: Record<string, unknown> = {};
    loop["a"] = [loop];
    expect(() => deserialize(loop)).toThrowError("cannot read a[0]: the object contains itself");
  });

  it("gives one object per Keras 3 shared_object_id, across nested calls", () => {
    class Policy {
      constructor(readonly config: JsonObject) {}
    }
    class Holder {
      constructor(readonly inner: unknown) {}
      static fromConfig(config: JsonObject, options: FromConfigOptions) {
        return new Holder(
          deserialize(config["dtype"], { registry: options.registry, sharedObjects: options.sharedObjects }),
        );
      }
    }
    const registry = createRegistry({ objects: { Policy, Holder } });
    const policy = {
      module: "keras",
      class_name: "Policy",
      config: { name: "float32" },
      registered_name: null,
      shared_object_id: 7,
    };
    const holder = { class_name: "Holder", config: { dtype: policy } };
    const [a, b] = deserialize([holder, holder], { registry }) as [Holder, Holder];
    expect(a).not.toBe(b);
    expect(a.inner).toBeInstanceOf(Policy);
    expect(a.inner).toBe(b.inner);
    // Separate calls share nothing unless given the same map.
    expect(deserialize(policy, { registry })).not.toBe(deserialize(policy, { registry }));
  });

  it("wraps a throwing constructor in a construct-failed error", () => {
    class Bad {
      constructor() {
        throw new Error("units must be positive");
      }
    }
    const registry = createRegistry({ objects: { Bad } });
    expect(() => deserialize({ class_name: "Bad", config: {} }, { registry, kind: "layer" })).toThrowError(
      'cannot make layer "Bad" at the value: units must be positive',
    );
  });
});
