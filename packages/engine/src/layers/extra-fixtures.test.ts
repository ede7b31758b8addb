import type { JsonObject } from "@kerastore/core";
import { readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { type Model, clearSession, deserializeLayer, initBackend } from "../index.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// Through the package entry alone: builtins.ts registers these classes (extraLayerClasses).
const ctx = {};

interface WeightPath {
  path: string;
  shape: number[];
  trainable: boolean;
}
interface IndexEntry {
  name: string;
  inputs: number;
  outputs: number;
  weights: number;
}

function load(group: string, name: string): Model {
  clearSession();
  return deserializeLayer(readFixtureJson<JsonObject>(group, name, "config.json"), ctx) as Model;
}

beforeAll(async () => {
  await initBackend();
});

const groups: [string, IndexEntry[]][] = [
  ["layers", readFixtureJson<{ models: IndexEntry[] }>("layers", "index.json").models],
  [
    "models",
    readFixtureJson<{ models: IndexEntry[] }>("models", "index.json").models.filter((m) =>
      ["conv", "embedding", "lstm", "gru", "simple_rnn"].includes(m.name),
    ),
  ],
];
const cases = groups.flatMap(([group, entries]) => entries.map((e) => [`${group}/${e.name}`, group, e] as const));

describe.each(cases)("fixture %s", (_label, group, entry) => {
  const name = entry.name;

  it("has Keras's weight paths, shapes, trainable flags and order", () => {
    const model = load(group, name);
    const expected = readFixtureJson<WeightPath[]>(group, name, "weight_paths.json");
    // A model deserialized from its config builds each layer from its build_config outside the
    // enclosing model's name scope: Keras's loaded paths (recorded for the layers group) lose
    // a Sequential's model-name prefix and Bidirectional's own name.
    const loaded =
      group === "layers"
        ? readFixtureJson<string[]>(group, name, "loaded_weight_paths.json")
        : expected.map((w) => (w.path.startsWith(`${name}/`) ? w.path.slice(name.length + 1) : w.path));
    expect(model.weights.map((w) => w.path)).toEqual(loaded);
    expect(model.weights.map((w) => w.shape)).toEqual(expected.map((w) => w.shape));
    expect(model.weights.map((w) => w.trainable)).toEqual(expected.map((w) => w.trainable));
  });

  it("predicts what Keras predicted with the fixture's weights", () => {
    const model = load(group, name);
    model.setWeights(
      Array.from({ length: entry.weights }, (_, i) => readFixtureNpy(group, name, "weights", `${i}.npy`)),
    );
    const inputs = Array.from({ length: entry.inputs }, (_, i) => readFixtureNpy(group, name, `input${i}.npy`));
    const out = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
    const outs = Array.isArray(out) ? out : [out];
    expect(outs.length).toBe(entry.outputs);
    for (const [i, o] of outs.entries())
      expectAllClose(o, readFixtureNpy(group, name, `output${i}.npy`), { rtol: 1e-5, atol: 1e-5 });
  });

  it("writes the config Keras wrote, layer by layer, and reads it back the same", () => {
    const model = load(group, name);
    const envelope = readFixtureJson<JsonObject>(group, name, "config.json");
    const expected = (envelope.config as JsonObject).layers as JsonObject[];
    const actual = model.getConfig().layers as JsonObject[];
    expect(actual.length).toBe(expected.length);
    for (const [i, layer] of expected.entries()) expect({ i, ...actual[i]! }).toEqual({ i, ...layer });
    expect(model.toConfig()).toEqual(envelope);
    clearSession();
    const again = deserializeLayer(model.toConfig(), ctx) as Model;
    expect(again.toConfig()).toEqual(model.toConfig());
  });
});
