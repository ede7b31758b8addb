import { readdirSync } from "node:fs";
import type { JsonValue } from "@kerastore/core";
import { fixturePath, readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import {
  EngineError,
  type FromConfigContext,
  type Model,
  builtinLayerClasses,
  clearSession,
  initBackend,
  modelFromJson,
} from "../index.js";
import { extraLayerClasses } from "./extra-builtins.js";

// The real-world model configs (extracted verbatim from ../shared/realworld by the configs
// fixture group): every layer class they use must exist, and each must build.
const dir = fixturePath("configs", "realworld");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort();
const registered = extraLayerClasses(builtinLayerClasses());
const ctxFor = (file: string): FromConfigContext => ({
  customObjects: Object.fromEntries(extraLayerClasses()),
  // Keras 3 wrote these two; the others come from Keras 2.x.
  kerasVersion: /^(Alisha4406|Aman-21k)__/.test(file) ? 3 : 2,
});

/** The class names of every `{class_name, config: {...}}` object that sits where a layer sits. */
function layerClasses(json: JsonValue, out = new Set<string>()): Set<string> {
  if (Array.isArray(json)) for (const v of json) layerClasses(v, out);
  else if (json !== null && typeof json === "object") {
    const cfg = json.config;
    if (
      typeof json.class_name === "string" &&
      ((cfg !== null && typeof cfg === "object" && ("name" in (cfg as object) || Array.isArray(cfg))) ||
        "inbound_nodes" in json)
    ) {
      out.add(json.class_name);
    }
    for (const v of Object.values(json)) layerClasses(v as JsonValue, out);
  }
  return out;
}

beforeAll(async () => {
  await initBackend();
});

describe("real-world configs", () => {
  it("lists the files", () => {
    expect(files.length).toBeGreaterThanOrEqual(16);
  });

  it.each(files)("%s: every layer class is registered (but custom ones)", (file) => {
    const names = [...layerClasses(readFixtureJson<JsonValue>("configs", "realworld", file))].filter(
      // Initializers, regularizers and dtype policies carry a `name`-less config; these do not count.
      (n) => !["DTypePolicy", "Adam"].includes(n),
    );
    expect(names.length).toBeGreaterThan(1);
    const missing = names.filter((n) => !registered.has(n));
    expect(missing).toEqual(/USELayer/.test(JSON.stringify(names)) ? ["USELayer"] : []);
  });

  it.each(files.filter((f) => !f.startsWith("KajetanFrackowiak")))("%s: builds through the engine", (file) => {
    clearSession();
    const model = modelFromJson(readFixtureJson<JsonValue>("configs", "realworld", file), ctxFor(file)) as Model;
    expect(model.layers.length).toBeGreaterThan(0);
    if (model.built) expect(model.countParams()).toBeGreaterThan(0);
  });

  it("refuses the custom USELayer, naming it and the fix", () => {
    const file = files.find((f) => f.startsWith("KajetanFrackowiak") && f.includes(".h5."))!;
    clearSession();
    const fail = () => modelFromJson(readFixtureJson<JsonValue>("configs", "realworld", file), ctxFor(file));
    expect(fail).toThrow(EngineError);
    expect(fail).toThrow(/layer class "USELayer".*customObjects/);
  });
});
