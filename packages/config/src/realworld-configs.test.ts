import { readFileSync, readdirSync } from "node:fs";
import { fixturePath, realworld } from "@kerastore/fixtures";
import { createRegistry } from "@kerastore/registry";
import { describe, expect, it } from "vitest";
import { deserialize, modelFromJsonText, sortKeys, writeModelJson } from "./index.js";

// gen_configs.py extracts these verbatim from ../shared/realworld (H5 `model_config` attributes,
// `.json` files, `config.json` of `.keras` zips), so this test needs neither h5 nor zip readers.
const dir = fixturePath("configs", "realworld");
const files = readdirSync(dir).filter((f) => f.endsWith(".model_config.json"));

describe("model configs of the real-world files (Keras 2.0.6 to 3.13)", () => {
  it("are all here", () => {
    expect(files.length).toBe(16);
  });
  for (const file of files) {
    it(`${file} reads and writes back equal in its own dialect`, () => {
      const text = readFileSync(`${dir}/${file}`, "utf8");
      const read = modelFromJsonText(text, { source: file });
      const original = JSON.parse(text);
      expect(read.model.dialect).toBe("module" in original ? "keras3" : "keras2");
      expect(sortKeys(writeModelJson(read))).toEqual(sortKeys(original));
    });
  }
});

describe("the custom USELayer of KajetanFrackowiak/tensorflow_fundamentals (tf.keras 2.15)", () => {
  for (const file of [
    "KajetanFrackowiak__tensorflow_fundamentals__model_6.h5.model_config.json",
    "KajetanFrackowiak__tensorflow_fundamentals__model_6.keras.model_config.json",
  ]) {
    it(`${file}: fails naming the class and how to register it`, () => {
      const json = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
      const layer = json.config.layers.find((l: { class_name: string }) => l.class_name === "USELayer");
      expect(() => deserialize(layer, { registry: createRegistry(), kind: "layer" })).toThrowError(
        'unknown layer class "USELayer": pass it in customObjects or register it with registerSerializable',
      );
      class USELayer {
        constructor(readonly config: unknown) {}
      }
      const made = deserialize(layer, { registry: createRegistry(), customObjects: { USELayer }, kind: "layer" });
      expect(made).toBeInstanceOf(USELayer);
      expect((made as USELayer).config).toEqual(layer.config);
      expect((made as USELayer).config).toMatchObject({ trainable: true, dtype: "float32" });
    });
  }
});

const rw = realworld();
describe.skipIf(!rw.dir)(`the extracted configs match ../shared/realworld (${rw.missing ?? "present"})`, () => {
  it("copies the .json architecture files byte for byte", () => {
    for (const file of files.filter((f) => f.endsWith(".json.model_config.json"))) {
      const source = file.slice(0, -".model_config.json".length);
      expect(readFileSync(`${dir}/${file}`, "utf8")).toBe(readFileSync(`${rw.dir}/${source}`, "utf8"));
    }
  });
});
