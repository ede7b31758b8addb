import { MemoryStore, utf8Decode } from "@kerastore/core";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readFixture, realworld } from "@kerastore/fixtures";
import { type ConvertSource, kerasFormat, legacyH5Format } from "kerastore";
import { describe, expect, it } from "vitest";
import { tfjsLayersFormat } from "./index.js";

// convertFrom declines what the live model must convert, and writes nothing then: by the
// reader's name before anything is read (.keras, SavedModel, ...), or by what the .h5 proved to
// hold (theano kernels); it takes tf.keras 2's and Keras 3's legacy .h5.
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

  const rw = realworld();
  it.skipIf(rw.dir === undefined)(
    `declines a theano .h5 after reading it, writing nothing (its kernels are converted on load)${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
    async () => {
      const bytes = new Uint8Array(
        readFileSync(join(rw.dir ?? "", "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5")),
      );
      const store = new MemoryStore({ "m.h5": bytes });
      const location = { store, path: "m.h5" };
      const read = () => legacyH5Format.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
      expect((await read()).data.backend).toBe("theano");
      const source: ConvertSource = { reader: legacyH5Format, location, read };
      expect(await tfjsLayersFormat.convertFrom({ store, path: "web" }, source, options)).toBe(false);
      expect(await store.exists("web")).toBe(false);
    },
  );

  it("takes a legacy .h5 written by Keras 3: its Keras 3 configs in Keras 2 envelopes become the Keras 2 dialect", async () => {
    const store = new MemoryStore({ "m.h5": readFixture("models", "nested", "model.h5") });
    const location = { store, path: "m.h5" };
    const read = () => legacyH5Format.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
    expect((await read()).data.kerasVersion).toMatch(/^3\./);
    const source: ConvertSource = { reader: legacyH5Format, location, read };
    expect(await tfjsLayersFormat.convertFrom({ store, path: "web" }, source, options)).toBe(true);
    const json = JSON.parse(utf8Decode(await store.read("web/model.json")));
    const text = JSON.stringify(json.modelTopology.model_config);
    expect(text).toMatch(/"batch_input_shape":\[null,6\]/);
    expect(text).not.toMatch(/"batch_shape"|"module"|DTypePolicy/);
    // A nested model's weights go by their layers' own names (Keras 3 writes the model's name first).
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual([
      "dense/kernel",
      "dense/bias",
      "dense_1/kernel",
      "dense_1/bias",
      "inner_dense/kernel",
      "inner_dense/bias",
      "outer_head/kernel",
      "outer_head/bias",
    ]);
  });
});
