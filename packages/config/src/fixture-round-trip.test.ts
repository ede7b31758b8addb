import { readdirSync, readFileSync } from "node:fs";
import { fixturePath } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { modelFromJsonText, readModelJson, sortKeys, toJson, writeModelJson } from "./index.js";

const modelsDir = fixturePath("configs", "models");
const keras3Models = readdirSync(modelsDir).filter((f) => f.endsWith(".json") && !f.endsWith(".legacy_h5.json"));
const legacyModels = readdirSync(modelsDir).filter((f) => f.endsWith(".legacy_h5.json"));

describe("Keras 3 model configs written by Keras 3.15 (to_json)", () => {
  it("has the fixtures", () => {
    expect(keras3Models.length).toBeGreaterThanOrEqual(10);
  });
  for (const file of keras3Models) {
    it(`${file} reads and writes back equal in the Keras 3 dialect`, () => {
      const text = readFileSync(`${modelsDir}/${file}`, "utf8");
      const read = modelFromJsonText(text, { source: file });
      expect(read.model.dialect).toBe("keras3");
      const written = writeModelJson(read, { dialect: "keras3" });
      expect(sortKeys(written)).toEqual(sortKeys(JSON.parse(text)));
      // The text form parses back to the same value too.
      expect(sortKeys(JSON.parse(toJson(read)))).toEqual(sortKeys(JSON.parse(text)));
    });
  }
});

describe("Keras 2 dialect model_config written by Keras 3.15's legacy .h5 saver", () => {
  for (const file of legacyModels) {
    it(`${file} reads and writes back equal in the Keras 2 dialect`, () => {
      const original = JSON.parse(readFileSync(`${modelsDir}/${file}`, "utf8"));
      const read = readModelJson(original, { source: file });
      expect(read.model.dialect).toBe("keras2");
      expect(sortKeys(writeModelJson(read))).toEqual(sortKeys(original));
    });
  }
});

describe("the normalized structure", () => {
  it("gives Functional call nodes as tensor references in both node forms", () => {
    const k3 = readModelJson(JSON.parse(readFileSync(`${modelsDir}/functional_shared.json`, "utf8"))).model;
    expect(k3.kind).toBe("functional");
    expect(k3.inputs).toEqual([
      { kind: "tensor", layer: "a", node: 0, tensor: 0 },
      { kind: "tensor", layer: "b", node: 0, tensor: 0 },
    ]);
    const shared = k3.layers.find((l) => l.name === "shared")!;
    expect(shared.nodes).toHaveLength(3);
    expect(shared.nodes![1]).toEqual({
      args: [{ kind: "tensor", layer: "b", node: 0, tensor: 0, shape: [null, 4], dtype: "float32" }],
      kwargs: {},
    });
    const cat = k3.layers.find((l) => l.name === "cat")!;
    expect(cat.nodes![0]!.args[0]).toEqual([
      { kind: "tensor", layer: "shared", node: 0, tensor: 0, shape: [null, 3], dtype: "float32" },
      { kind: "tensor", layer: "shared", node: 1, tensor: 0, shape: [null, 3], dtype: "float32" },
    ]);
  });

  it("reads nested models as models", () => {
    const nested = readModelJson(JSON.parse(readFileSync(`${modelsDir}/functional_nested.json`, "utf8"))).model;
    const inner = nested.layers.find((l) => l.name === "inner")!;
    expect(inner.model?.kind).toBe("functional");
    expect(inner.model?.layers.map((l) => l.name)).toEqual(["inner_in", "inner_dense"]);
    expect(inner.nodes![0]!.args[0]).toMatchObject({ kind: "tensor", layer: "outer_in", node: 0, tensor: 0 });
    const seq = readModelJson(JSON.parse(readFileSync(`${modelsDir}/functional_with_sequential.json`, "utf8"))).model;
    expect(seq.layers.find((l) => l.name === "block")?.model?.kind).toBe("sequential");
  });
});
