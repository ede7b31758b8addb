import { readFixture, readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import type { JsonObject } from "@kerastore/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type Model, clearSession, deserializeLayer, initBackend, summary } from "../src/index.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

interface WeightPath {
  path: string;
  name: string;
  shape: number[];
  trainable: boolean;
}
interface IndexEntry {
  name: string;
  inputs: number;
  outputs: number;
  weights: number;
}

const index = readFixtureJson<{ models: IndexEntry[] }>("models", "index.json").models;
// Every model fixture: the core layers of this package and the built-in extra layers alike.
const SUPPORTED = index.map((e) => e.name);

function load(name: string): Model {
  clearSession();
  return deserializeLayer(readFixtureJson<JsonObject>("models", name, "config.json")) as Model;
}

/** The names of the Sequential models in a config envelope (the model itself and nested ones). */
function sequentialNames(envelope: JsonObject, out = new Set<string>()): Set<string> {
  const config = envelope.config as JsonObject | undefined;
  if (envelope.class_name === "Sequential" && typeof config?.name === "string") out.add(config.name);
  const layers = config?.layers;
  if (Array.isArray(layers)) for (const l of layers) sequentialNames(l as JsonObject, out);
  return out;
}

beforeAll(async () => {
  await initBackend();
});

describe.each(SUPPORTED)("fixture model %s", (name) => {
  const entry = index.find((e) => e.name === name)!;

  it("has Keras's weight paths, shapes and order", () => {
    const model = load(name);
    const expected = readFixtureJson<WeightPath[]>("models", name, "weight_paths.json");
    // The fixture records the paths of the model as first built. A model deserialized from its
    // config (ours, and Python's load_model / model_from_json alike) builds each layer from its
    // build_config outside the enclosing model's name scope, so the paths lose that prefix
    // (`mlp_sequential/hidden/kernel` -> `hidden/kernel`, `lstm/lstm/lstm_cell/kernel` ->
    // `lstm/lstm_cell/kernel`); these fixtures nest Sequentials one level deep.
    const sequentials = sequentialNames(readFixtureJson<JsonObject>("models", name, "config.json"));
    const loaded = (path: string) => (sequentials.has(path.split("/")[0]!) ? path.split("/").slice(1).join("/") : path);
    expect(model.weights.map((w) => w.path)).toEqual(expected.map((w) => loaded(w.path)));
    expect(model.weights.map((w) => w.shape)).toEqual(expected.map((w) => w.shape));
    expect(model.weights.map((w) => w.trainable)).toEqual(expected.map((w) => w.trainable));
  });

  it("predicts what Keras predicted, with the fixture's weights", () => {
    const model = load(name);
    model.setWeights(
      Array.from({ length: entry.weights }, (_, i) => readFixtureNpy("models", name, "weights", `${i}.npy`)),
    );
    const inputs = Array.from({ length: entry.inputs }, (_, i) => readFixtureNpy("models", name, `input${i}.npy`));
    const out = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
    const outs = Array.isArray(out) ? out : [out];
    expect(outs.length).toBe(entry.outputs);
    for (const [i, o] of outs.entries())
      expectAllClose(o, readFixtureNpy("models", name, `output${i}.npy`), { rtol: 1e-5, atol: 1e-6 });
  });

  it("writes the config Keras wrote, and reads it back the same", () => {
    const model = load(name);
    const envelope = readFixtureJson<JsonObject>("models", name, "config.json");
    const config = model.getConfig();
    expect(config).toEqual(envelope.config);
    clearSession();
    const again = (model.constructor as typeof Model).fromConfig(config);
    expect(again.getConfig()).toEqual(config);
  });
});

describe("model envelopes", () => {
  it.each(SUPPORTED)("%s: toConfig() equals Keras's serialize_keras_object(model)", (name) => {
    const model = load(name);
    expect(model.toConfig()).toEqual(readFixtureJson<JsonObject>("models", name, "config.json"));
    expect(JSON.parse(model.toJson())).toEqual(readFixtureJson<JsonObject>("models", name, "model.json"));
  });
});

describe("summary", () => {
  it.each(SUPPORTED)("%s: summary() prints Keras's table line for line", (name) => {
    const model = load(name);
    const expected = new TextDecoder().decode(readFixture("models", name, "summary.txt"));
    // Compiled and trained fixtures: Keras counts the optimizer's variables (iteration,
    // learning rate, and for Adam two slots per trainable weight), passed in explicitly here.
    const optimizer = (model.compileConfig.optimizer as JsonObject | undefined)?.class_name;
    const slots = optimizer === "Adam" ? model.trainableWeights.flatMap((w) => [w, w]) : [];
    const optimizerVariables =
      optimizer === undefined ? undefined : [{ shape: [], dtype: "int64" }, { shape: [], dtype: "float32" }, ...slots];
    expect(summary(model, { optimizerVariables }).split("\n")).toEqual(expected.split("\n"));
  });
});
