import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { type ObjectKind, type Registry, createRegistry, registerSerializable } from "@kerastore/registry";
import { describe, expect, it } from "vitest";
import { type FromConfigOptions, deserialize, serialize, sortKeys } from "./index.js";

// Every object Keras 3.15 serialized in gen_configs.py goes through deserialize then serialize
// and must come back equal. The classes here keep their config as JSON (the engine's classes
// deserialize nested objects themselves); what is under test is the envelope: module,
// class_name, registered_name, build_config, function references, lookups by kind.

const groups: Array<[string, ObjectKind]> = [
  ["layers", "layer"],
  ["initializers", "initializer"],
  ["regularizers", "regularizer"],
  ["constraints", "constraint"],
  ["optimizers", "optimizer"],
  ["losses", "loss"],
  ["metrics", "metric"],
  ["activations", "activation"],
];

/** A stand-in class that keeps its config, as a built-in or custom Keras class would. */
function echoClass(name: string) {
  const cls = class {
    config: JsonObject;
    buildConfig: JsonObject | undefined;
    constructor(config: JsonObject) {
      this.config = config;
    }
    static fromConfig(config: JsonObject, _options: FromConfigOptions) {
      return new cls(config);
    }
    getConfig() {
      return this.config;
    }
    getBuildConfig() {
      return this.buildConfig;
    }
    buildFromConfig(config: JsonObject) {
      this.buildConfig = config;
    }
  };
  Object.defineProperty(cls, "name", { value: name });
  return cls;
}

/** Registers what the engine will: built-ins by module and kind; custom objects by package>Name. */
function registryFor(fixtures: Record<string, Record<string, JsonObject>>): Registry {
  const registry = createRegistry();
  for (const [group, kind] of groups) {
    for (const json of Object.values(fixtures[group]!)) {
      const className = json["class_name"] as string;
      const registered = json["registered_name"] as string | null;
      if (className === "function") {
        const name = json["config"] as string;
        const fn = Object.defineProperty(() => 0, "name", { value: name.split(">").pop() });
        if (registry.lookup(name, { kind }) !== undefined) continue;
        if (name.includes(">"))
          registerSerializable(fn, { registry, package: name.split(">")[0]!, kind, name: name.split(">")[1]! });
        else registry.register(name, fn, { module: `keras.${group}`, kind });
        continue;
      }
      if (registry.lookup(registered ?? className, { kind }) !== undefined) continue;
      const cls = echoClass(className);
      if (registered === null) registry.register(className, cls, { module: json["module"] as string, kind });
      else
        registerSerializable(cls, {
          registry,
          package: registered.split(">")[0]!,
          kind,
          module: json["module"] as string | null,
        });
    }
  }
  return registry;
}

const fixtures: Record<string, Record<string, JsonObject>> = {};
for (const [group] of groups) fixtures[group] = readFixtureJson("configs", "objects", `${group}.json`);
const registry = registryFor(fixtures);

describe("Keras 3 object configs written by Keras 3.15", () => {
  it("cover many layer kinds", () => {
    expect(Object.keys(fixtures["layers"]!).length).toBeGreaterThanOrEqual(70);
  });
  for (const [group, kind] of groups) {
    for (const [name, json] of Object.entries(fixtures[group]!)) {
      it(`${group}/${name} deserializes and serializes back equal`, () => {
        const made = deserialize(json, { registry, kind });
        expect(sortKeys(serialize(made, { registry }))).toEqual(sortKeys(json));
      });
    }
  }

  it("keeps the loss and the metric called MeanSquaredError apart by kind", () => {
    const loss = deserialize(fixtures["losses"]!["MeanSquaredError"], { registry, kind: "loss" });
    const metric = deserialize(fixtures["metrics"]!["MeanSquaredError"], { registry, kind: "metric" });
    expect(loss?.constructor).not.toBe(metric?.constructor);
    expect(serialize(metric, { registry })).toMatchObject({ module: "keras.metrics", class_name: "MeanSquaredError" });
  });

  it("names the custom layer when it is not registered", () => {
    expect(() =>
      deserialize(fixtures["layers"]!["ScaledDense"], { registry: createRegistry(), kind: "layer" }),
    ).toThrowError(
      'unknown layer class "MyPkg>ScaledDense": pass it in customObjects or register it with registerSerializable',
    );
  });
});
