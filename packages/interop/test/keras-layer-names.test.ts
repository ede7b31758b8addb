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

  it("a .keras file Keras wrote with a Discretization layer fails saying Kerastore does not implement it yet", async () => {
    // A built-in Kerastore does not run yet (docs/layers.md); Attention was this test's layer until it was added.
    expect(builtinLayerClasses().has("Discretization")).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "kerastore-discretization-"));
    const path = join(dir, "discretization.keras");
    await runPython(
      `import sys, keras
x = keras.Input((3,))
keras.Model(x, keras.layers.Discretization(bin_boundaries=[0.0, 1.0])(x)).save(sys.argv[1])`,
      { args: [path] },
    );
    await expect(keras.models.loadModel(path)).rejects.toThrow(
      /Keras layer Discretization is not supported by Kerastore yet/,
    );
    await expect(keras.models.loadModel(path)).rejects.not.toThrow(/customObjects/);
  });
});
