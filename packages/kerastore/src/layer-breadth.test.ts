import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { fixturePath, readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Model, keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// The layer breadth fixtures (packages/fixtures/data/layers_extra, Keras 3.15) through every
// file format: Python's .keras and legacy .h5 load and predict as Keras did; Kerastore's own
// .keras, .h5 (both dialects) and .json + .weights.h5 load back the same.

const GROUP = "layers_extra";
interface IndexEntry {
  name: string;
  inputs: number;
  outputs: number;
}
const entries = readFixtureJson<{ models: IndexEntry[] }>(GROUP, "index.json").models;

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-breadth-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function predictAll(model: Model, inputs: HostTensor[]): HostTensor[] {
  const out = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
  return Array.isArray(out) ? out : [out];
}

describe.each(entries.map((e) => [e.name, e] as const))("layer breadth fixture %s", (name, entry) => {
  const inputs = () => Array.from({ length: entry.inputs }, (_, i) => readFixtureNpy(GROUP, name, `input${i}.npy`));
  const expectKeras = (outputs: HostTensor[], what: string) => {
    expect(outputs).toHaveLength(entry.outputs);
    for (const [i, o] of outputs.entries())
      expectAllClose(o, readFixtureNpy(GROUP, name, `output${i}.npy`), {
        rtol: 1e-4,
        floor: 1e-3,
        label: `${what} output ${i}`,
      });
  };

  it.each(["model.keras", "model.h5"])("loads Python's %s and predicts what Keras predicted", async (file) => {
    const model = await keras.models.loadModel(fixturePath(GROUP, name, file));
    expectKeras(predictAll(model, inputs()), file);
    model.dispose();
  });

  it.each(["keras", "h5", "h5-keras3", "json+weights.h5"])("saves as %s and loads back equal", async (kind) => {
    const model = await keras.models.loadModel(fixturePath(GROUP, name, "model.keras"));
    const base = join(dir, `${name}-${kind}`);
    let reloaded: Model;
    if (kind === "keras") {
      await model.save(`${base}.keras`);
      reloaded = await keras.models.loadModel(`${base}.keras`);
    } else if (kind === "json+weights.h5") {
      await model.save(`${base}.json`);
      reloaded = await keras.models.loadModel(`${base}.json`);
      await model.saveWeights(`${base}.weights.h5`);
      await reloaded.loadWeights(`${base}.weights.h5`);
    } else if (kind === "h5" && name === "operations") {
      // Keras 3 operation nodes (`x + 3.0`) have no Keras 2 form: the Keras 2 dialect refuses them by name.
      await expect(model.save(`${base}.h5`)).rejects.toThrow(
        /cannot write layer "add": it is the Keras 3 operation keras\.src\.ops\.numpy\.Add, which the Keras 2 dialect has no form for/,
      );
      model.dispose();
      return;
    } else {
      await model.save(`${base}.h5`, kind === "h5-keras3" ? { settings: { dialect: "keras3" } } : {});
      reloaded = await keras.models.loadModel(`${base}.h5`);
    }
    expectKeras(predictAll(reloaded, inputs()), kind);
    model.dispose();
    reloaded.dispose();
  });
});
