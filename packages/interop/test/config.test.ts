import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, deserialize, modelFromJsonText, serialize, sortKeys, toJson } from "@kerastore/config";
import type { JsonObject } from "@kerastore/core";
import { fixturePath, readFixtureJson, repoRoot } from "@kerastore/fixtures";
import { createRegistry, registerSerializable } from "@kerastore/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

// Configs written by Kerastore must load in Keras 3.15 and give a model whose get_config() is the
// config we meant. Keras 3 dialect: keras.models.model_from_json. Keras 2 dialect: the path Keras 3
// takes for legacy .h5 files, keras.src.legacy.saving.saving_utils.model_from_config.
// The custom classes (MyPkg>ScaledDense, MyPkg>clipped_relu, MyPkg>L1Ish) come from gen_configs.py.

interface Case {
  name: string;
  dialect: "keras3" | "keras2" | "object";
  text: string;
}
interface Outcome {
  name: string;
  config?: unknown;
  error?: string;
}

const python = `
import json, sys
sys.path.insert(0, "packages/fixtures/python")
import keras
import gen_configs  # registers MyPkg>ScaledDense, MyPkg>clipped_relu, MyPkg>L1Ish
from keras.src.legacy.saving import saving_utils

def plain(value):
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))

out = []
for case in json.load(open(sys.argv[1])):
    try:
        if case["dialect"] == "keras3":
            model = keras.models.model_from_json(case["text"])
            got = model.get_config()
        elif case["dialect"] == "keras2":
            model = saving_utils.model_from_config(json.loads(case["text"]))
            got = model.get_config()
        else:
            obj = keras.saving.deserialize_keras_object(json.loads(case["text"]))
            got = keras.saving.serialize_keras_object(obj)
        out.append({"name": case["name"], "config": plain(got)})
    except Exception as e:
        out.append({"name": case["name"], "error": f"{type(e).__name__}: {e}"})
print(json.dumps(out))
`;

const modelsDir = fixturePath("configs", "models");
const modelFiles = readdirSync(modelsDir).filter((f) => f.endsWith(".json") && !f.endsWith(".legacy_h5.json"));
const expected = new Map<string, unknown>();
const cases: Case[] = [];
const refusedKeras2: Array<[string, string]> = [];

for (const file of modelFiles) {
  const text = readFileSync(join(modelsDir, file), "utf8");
  const original = JSON.parse(text) as JsonObject;
  const read = modelFromJsonText(text, { source: file });
  cases.push({ name: `keras3/${file}`, dialect: "keras3", text: toJson(read) });
  expected.set(`keras3/${file}`, original["config"]);
  let keras2: string;
  try {
    keras2 = toJson(read, { dialect: "keras2" });
  } catch (error) {
    // Keras 3 op layers called with several positional arguments (GetItem of x[:, :4]) have no
    // Keras 2 form; the writer refuses them (see KNOWN_DIFFERENCES.md).
    refusedKeras2.push([file, error instanceof ConfigError ? error.code : String(error)]);
    continue;
  }
  cases.push({ name: `keras2/${file}`, dialect: "keras2", text: keras2 });
  expected.set(`keras2/${file}`, original["config"]);
}

// Objects: built with our serialize from stand-in classes registered as the engine will register its own.
const layers = readFixtureJson<Record<string, JsonObject>>("configs", "objects", "layers.json");
const registry = createRegistry();
for (const [name, json] of Object.entries(layers)) {
  const className = json["class_name"] as string;
  if (registry.lookup(className) === undefined) {
    const cls = class {
      constructor(readonly config: JsonObject) {}
      getConfig() {
        return this.config;
      }
    };
    Object.defineProperty(cls, "name", { value: className });
    if (json["registered_name"] === null)
      registry.register(className, cls, { module: json["module"] as string, kind: "layer" });
    else registerSerializable(cls, { registry, package: "MyPkg", kind: "layer" });
  }
  // Without build_config: deserialize_keras_object would build the layer, and get_config is what we compare.
  const { build_config: _, ...envelope } = json;
  const text = JSON.stringify(serialize(deserialize(envelope, { registry, kind: "layer" }), { registry }));
  cases.push({ name: `object/${name}`, dialect: "object", text });
  expected.set(`object/${name}`, envelope);
}

let outcomes = new Map<string, Outcome>();
let dir = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kerastore-config-"));
  const file = join(dir, "cases.json");
  writeFileSync(file, JSON.stringify(cases));
  const results = await runPythonJson<Outcome[]>(python, { cwd: repoRoot, args: [file] });
  outcomes = new Map(results.map((r) => [r.name, r]));
}, 600_000);

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("configs written by Kerastore load in Keras 3.15", () => {
  it("covers every model fixture in both dialects and every layer", () => {
    expect(refusedKeras2).toEqual([["functional_shared.json", "not-serializable"]]);
    expect(cases.length).toBe(modelFiles.length * 2 - 1 + Object.keys(layers).length);
  });
  for (const c of cases) {
    it(`${c.name} gives the config we meant`, () => {
      const outcome = outcomes.get(c.name);
      expect(outcome?.error).toBeUndefined();
      expect(sortKeys(outcome?.config)).toEqual(sortKeys(expected.get(c.name)));
    });
  }
});
