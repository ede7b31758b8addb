import { fixturePath, modelFixtures, readFixtureNpy } from "@kerastore/fixtures";
import { builtinFormats, createFormatRegistry, loadModel, saveModel } from "kerastore";
import { describe, expect, it } from "vitest";
import { kerastoreFormats } from "./index.js";
import { REFUSED_MODELS } from "./fixtures-refused.test-util.js";
import { expectOutputsClose, loadInTfjs, memoryStore, predictInTfjs } from "./tfjs-test-support.test-util.js";

const formats = () => createFormatRegistry([...builtinFormats, ...kerastoreFormats]);

describe("golden model fixtures (.keras) converted to tfjs", () => {
  for (const fixture of modelFixtures().filter((f) => f.files.includes("model.keras"))) {
    const refused = REFUSED_MODELS[fixture.name];
    if (refused !== undefined) {
      it(`${fixture.name}: refused before anything is written, naming the layer`, async () => {
        const model = await loadModel(fixturePath("models", fixture.name, "model.keras"));
        const store = memoryStore();
        await expect(
          saveModel(model, { store, path: "web_model" }, { format: "tfjs", formats: formats() }),
        ).rejects.toThrow(refused);
        expect(await store.exists("web_model")).toBe(false);
      });
      continue;
    }
    it(`${fixture.name}: tf.loadLayersModel reads it and predicts what Keras predicted`, async () => {
      const model = await loadModel(fixturePath("models", fixture.name, "model.keras"));
      const store = memoryStore();
      await saveModel(model, { store, path: "web_model" }, { format: "tfjs", formats: formats() });
      const json = JSON.parse(new TextDecoder().decode(await store.read("web_model/model.json")));
      expect(json.format).toBe("layers-model");
      expect(json.weightsManifest.length).toBe(model.weights.length === 0 ? 0 : 1);
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
