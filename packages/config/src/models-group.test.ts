import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fixturePath } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { modelFromJsonText, sortKeys, toJson } from "./index.js";

// The `models` fixture group (gen_models.py) writes each model's `config.json` (from its .keras
// zip) and `model.json` (`to_json()`); both must read and write back equal in the Keras 3 dialect.
const dir = fixturePath("models");
const files = existsSync(dir)
  ? readdirSync(dir).flatMap((model) =>
      ["config.json", "model.json"].filter((f) => existsSync(`${dir}/${model}/${f}`)).map((f) => `${model}/${f}`),
    )
  : [];

describe("model configs of the models fixture group", () => {
  it("are there", () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });
  for (const file of files) {
    it(`${file} round-trips in the Keras 3 dialect`, () => {
      const text = readFileSync(`${dir}/${file}`, "utf8");
      const read = modelFromJsonText(text, { source: file });
      expect(read.model.dialect).toBe("keras3");
      expect(sortKeys(JSON.parse(toJson(read)))).toEqual(sortKeys(JSON.parse(text)));
    });
  }
});
