import { readFileSync, readdirSync } from "node:fs";
import { fixturePath } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { modelFromJsonText, sortKeys, writeModelJson } from "./index.js";

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
