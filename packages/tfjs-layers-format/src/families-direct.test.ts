import type { JsonObject } from "@kerastore/core";
import { MemoryStore } from "@kerastore/core";
import { fixturePath, modelFixtures, readFixture, readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import {
  type SavableModel,
  builtinFormats,
  createFormatRegistry,
  keras,
  legacyH5Format,
  loadModel,
  saveModel,
} from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { kerastoreFormats, tfjsLayersFormat } from "./index.js";
import { REFUSED_MODELS } from "./fixtures-refused.test-util.js";
import { REFUSED } from "./layer-families.test-util.js";
import { pruneFunctional } from "./prune.test-util.js";
import { expectOutputsClose, loadInTfjs, predictInTfjs } from "./tfjs-test-support.test-util.js";

// The file-to-file road of `kerastore convert` (convertFrom) on every layer family: each family,
// less the variants tfjs-layers cannot read, saved as a tf.keras 2 .h5 (the Keras 2 dialect,
// which tf.keras 2.x loads: checked against Python in the interop tests) and as Keras 3's legacy
// .h5, then converted from the .h5 reader's lazy tree with no live model; and the golden models
// as Keras 3.15 itself saved them. tfjs-layers must predict Keras's recorded outputs.
interface Entry {
  name: string;
  inputs: number;
  outputs: number;
  weights: number;
}
const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const entries = readFixtureJson<{ models: Entry[] }>("layers", "index.json").models;
const options = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };

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

describe.each(entries.flatMap((e) => (["keras2", "keras3"] as const).map((d) => [e.name, d, e] as const)))(
  "layer family %s, .h5 (%s dialect) to tfjs file to file",
  (name, dialect, entry) => {
    it("converts without a live model and predicts what Keras predicted", async () => {
      const full = load(entry);
      const { config, kept } = pruneFunctional(full.toConfig(), new Set(REFUSED[name] ?? []));
      const model = keras.models.modelFromJson(JSON.stringify(config));
      for (const layer of model.layers) layer.setWeights(full.getLayer(layer.name).getWeights());
      const store = new MemoryStore();
      await saveModel(model, { store, path: "k.h5" }, { format: "h5", formats, onWarning: () => {} });
      // Kerastore marks its own models with its Keras 3 version. keras2: the file relabelled as
      // tf.keras 2.15 wrote it (the dialect is the same); keras3: as Keras 3's own legacy writer
      // lays it out (Keras 2 envelopes around Keras 3 layer configs, nested weights under the model).
      const saved = await legacyH5Format.read({ store, path: "k.h5" }, { safeMode: true, onWarning: () => {} });
      const version = dialect === "keras2" ? "2.15.0" : saved.data.kerasVersion;
      await legacyH5Format.write(
        { store, path: "m.h5" },
        { ...saved.data, kerasVersion: version },
        { ...options, dialect },
      );
      const location = { store, path: "m.h5" };
      const reader = await formats.detect(location);
      const read = () => reader.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
      expect((await read()).data.kerasVersion).toMatch(dialect === "keras2" ? /^2\./ : /^3\./);
      expect(
        await tfjsLayersFormat.convertFrom({ store, path: "web_model" }, { reader, location, read }, options),
      ).toBe(true);
      const tfjsModel = await loadInTfjs(store, "web_model");
      const inputs = Array.from({ length: entry.inputs }, (_, i) => readFixtureNpy("layers", name, `input${i}.npy`));
      const outs = predictInTfjs(
        tfjsModel,
        inputs.filter((_, i) => tfjsModel.inputs.length > i),
      );
      expect(outs.length).toBe(kept.length);
      for (const [i, o] of outs.entries())
        expectOutputsClose(o, readFixtureNpy("layers", name, `output${kept[i]}.npy`), {}, `output ${kept[i]}`);
    });
  },
);

/** `model` saved as tf.keras 2.15 would write it, converted from the .h5 with no live model. */
async function directFromH5(model: Parameters<typeof saveModel>[0]): Promise<MemoryStore> {
  const store = new MemoryStore();
  await saveModel(model, { store, path: "k.h5" }, { format: "h5", formats, onWarning: () => {} });
  const saved = await legacyH5Format.read({ store, path: "k.h5" }, { safeMode: true, onWarning: () => {} });
  const h5Options = { ...options, dialect: "keras2" as const };
  await legacyH5Format.write({ store, path: "m.h5" }, { ...saved.data, kerasVersion: "2.15.0" }, h5Options);
  const location = { store, path: "m.h5" };
  const reader = await formats.detect(location);
  const read = () => reader.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
  expect(await tfjsLayersFormat.convertFrom({ store, path: "web_model" }, { reader, location, read }, options)).toBe(
    true,
  );
  return store;
}

describe("golden model fixtures as Keras 3.15 itself saved them (model.h5), to tfjs file to file", () => {
  for (const fixture of modelFixtures().filter((f) => f.files.includes("model.h5"))) {
    const refused = REFUSED_MODELS[fixture.name];
    it(`${fixture.name}: ${refused === undefined ? "predicts what Keras predicted" : "refused, naming the layer"}`, async () => {
      const store = new MemoryStore({ "m.h5": readFixture("models", fixture.name, "model.h5") });
      const location = { store, path: "m.h5" };
      const reader = await formats.detect(location);
      const read = () => reader.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
      expect((await read()).data.kerasVersion).toMatch(/^3\./);
      const convert = () =>
        tfjsLayersFormat.convertFrom({ store, path: "web_model" }, { reader, location, read }, options);
      if (refused !== undefined) {
        await expect(convert()).rejects.toThrow(refused);
        expect(await store.exists("web_model")).toBe(false);
        return;
      }
      expect(await convert()).toBe(true);
      const tfjsModel = await loadInTfjs(store, "web_model");
      const inputs = Array.from({ length: fixture.inputs }, (_, i) =>
        readFixtureNpy("models", fixture.name, `input${i}.npy`),
      );
      const outs = predictInTfjs(tfjsModel, inputs);
      expect(outs.length).toBe(fixture.outputs);
      for (const [i, o] of outs.entries())
        expectOutputsClose(o, readFixtureNpy("models", fixture.name, `output${i}.npy`), {}, `output ${i}`);
    });
  }
});

describe("golden model fixtures, .h5 (tf.keras 2) to tfjs file to file", () => {
  for (const fixture of modelFixtures().filter((f) => f.files.includes("model.keras") && !REFUSED_MODELS[f.name])) {
    it(`${fixture.name}: predicts what Keras predicted`, async () => {
      const model = await loadModel(fixturePath("models", fixture.name, "model.keras"));
      const tfjsModel = await loadInTfjs(await directFromH5(model), "web_model");
      const inputs = Array.from({ length: fixture.inputs }, (_, i) =>
        readFixtureNpy("models", fixture.name, `input${i}.npy`),
      );
      const outs = predictInTfjs(tfjsModel, inputs);
      expect(outs.length).toBe(fixture.outputs);
      for (const [i, o] of outs.entries())
        expectOutputsClose(o, readFixtureNpy("models", fixture.name, `output${i}.npy`), {}, `output ${i}`);
    });
  }
});
