import { MemoryStore } from "@kerastore/core";
import { readFixture } from "@kerastore/fixtures";
import { type ConvertSource, kerasFormat, legacyH5Format } from "kerastore";
import { describe, expect, it } from "vitest";
import { tfjsLayersFormat } from "./index.js";

// convertFrom declines what the live model must convert, and writes nothing then: by the
// reader's name before anything is read (.keras, SavedModel, ...), or by what the .h5 proved to
// hold (Keras 3's legacy .h5, whose config is Keras 3's).
const options = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };

describe("tfjs convertFrom", () => {
  it("declines a .keras source without reading it", async () => {
    const store = new MemoryStore({ "m.keras": readFixture("models", "lstm", "model.keras") });
    let reads = 0;
    const source: ConvertSource = {
      reader: kerasFormat,
      location: { store, path: "m.keras" },
      read: async () => {
        reads++;
        throw new Error("must not be read");
      },
    };
    expect(await tfjsLayersFormat.convertFrom({ store, path: "web" }, source, options)).toBe(false);
    expect(reads).toBe(0);
    expect(await store.exists("web")).toBe(false);
  });

  it("declines a legacy .h5 written by Keras 3 after reading it, writing nothing", async () => {
    const store = new MemoryStore({ "m.h5": readFixture("models", "lstm", "model.h5") });
    const location = { store, path: "m.h5" };
    const read = () => legacyH5Format.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
    expect((await read()).data.kerasVersion).toMatch(/^3\./);
    const source: ConvertSource = { reader: legacyH5Format, location, read };
    expect(await tfjsLayersFormat.convertFrom({ store, path: "web" }, source, options)).toBe(false);
    expect(await store.exists("web")).toBe(false);
  });
});
