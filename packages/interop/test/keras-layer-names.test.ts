import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtinLayerClasses } from "@kerastore/engine";
import { repoRoot } from "@kerastore/fixtures";
import { keras } from "kerastore";
import { describe, expect, it } from "vitest";
import { runPython } from "../src/index.js";

// The engine tells a Keras layer it does not implement yet from a custom layer by the list of
// Keras's built-in layer names committed in packages/engine/src/keras-layer-names.ts.
describe("Keras's built-in layers Kerastore lacks", () => {
  it("the committed list holds every layer class of the reference Keras (scripts/keras-layer-names.mjs is current)", async () => {
    const script = readFileSync(join(repoRoot, "packages/fixtures/python/keras_layer_names.py"), "utf8");
    const { stdout } = await runPython(script);
    const reference = JSON.parse(stdout.trim().split("\n").at(-1)!) as { keras3: string[] };
    const committed = readFileSync(join(repoRoot, "packages/engine/src/keras-layer-names.ts"), "utf8");
    const missing = reference.keras3.filter((name) => !committed.includes(`"${name}"`));
    expect(missing).toEqual([]);
    expect(reference.keras3.length).toBeGreaterThan(150);
  });

  it("a .keras file Keras wrote with an Attention layer fails saying Kerastore does not implement it yet", async () => {
    expect(builtinLayerClasses().has("Attention")).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "kerastore-attention-"));
    const path = join(dir, "attention.keras");
    await runPython(
      `import sys, keras
q = keras.Input((3, 4)); v = keras.Input((5, 4))
keras.Model([q, v], keras.layers.Attention()([q, v])).save(sys.argv[1])`,
      { args: [path] },
    );
    await expect(keras.models.loadModel(path)).rejects.toThrow(
      /Keras layer Attention is not supported by Kerastore yet/,
    );
    await expect(keras.models.loadModel(path)).rejects.not.toThrow(/customObjects/);
  });
});
