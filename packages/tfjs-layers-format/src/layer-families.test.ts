import type { JsonObject } from "@kerastore/core";
import { readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { type SavableModel, builtinFormats, createFormatRegistry, keras, saveModel } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { kerastoreFormats, tfjsModelConfig } from "./index.js";
import { REFUSED } from "./layer-families.test-util.js";
import { pruneFunctional } from "./prune.test-util.js";
import { expectOutputsClose, loadInTfjs, memoryStore, predictInTfjs } from "./tfjs-test-support.test-util.js";

interface Entry {
  name: string;
  inputs: number;
  outputs: number;
  weights: number;
}
const formats = () => createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const entries = readFixtureJson<{ models: Entry[] }>("layers", "index.json").models;

beforeAll(() => keras.ready());

function load(entry: Entry): SavableModel {
  const model = keras.models.modelFromJson(
    JSON.stringify(readFixtureJson<JsonObject>("layers", entry.name, "config.json")),
  );
  model.setWeights(
    Array.from({ length: entry.weights }, (_, i) => readFixtureNpy("layers", entry.name, "weights", `${i}.npy`)),
  );
  return model;
}

describe.each(entries.map((e) => [e.name, e] as const))("layer family %s", (name, entry) => {
  it("refuses, naming them, exactly the variants tfjs-layers cannot read", async () => {
    const model = load(entry);
    const problems = tfjsModelConfig(model.toConfig(), { keras3HardSigmoid: "all" }).problems;
    expect([...new Set(problems.map((p) => p.layer.split("/")[0]))].sort()).toEqual([...(REFUSED[name] ?? [])].sort());
    if (problems.length === 0) return;
    const save = saveModel(model, { store: memoryStore(), path: "web_model" }, { format: "tfjs", formats: formats() });
    await expect(save).rejects.toThrow(
      new RegExp(`cannot write web_model as tfjs: tfjs-layers 4.22 cannot read .*${problems[0]!.layer}`),
    );
  });

  it("the rest, written as tfjs, loads in tfjs-layers and predicts what Keras predicted", async () => {
    const full = load(entry);
    const { config, kept } = pruneFunctional(full.toConfig(), new Set(REFUSED[name] ?? []));
    const model = keras.models.modelFromJson(JSON.stringify(config));
    for (const layer of model.layers) layer.setWeights(full.getLayer(layer.name).getWeights());
    const store = memoryStore();
    await saveModel(model, { store, path: "web_model" }, { format: "tfjs", formats: formats() });
    const tfjsModel = await loadInTfjs(store, "web_model");
    const inputs = Array.from({ length: entry.inputs }, (_, i) => readFixtureNpy("layers", name, `input${i}.npy`));
    const outs = predictInTfjs(
      tfjsModel,
      inputs.filter((_, i) => tfjsModel.inputs.length > i),
    );
    expect(outs.length).toBe(kept.length);
    expect(kept.length).toBeGreaterThan(0);
    for (const [i, o] of outs.entries())
      expectOutputsClose(o, readFixtureNpy("layers", name, `output${kept[i]}.npy`), {}, `output ${kept[i]}`);
  });
});
