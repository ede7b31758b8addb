import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { fixturePath, modelFixtures, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Model, Sequential, keras, loadModel } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// Models whose layers the engine supports today (the rest need conv/recurrent layers).
const SUPPORTED = new Set(
  modelFixtures()
    .map((m) => m.name)
    .filter((n) => !["conv", "embedding", "lstm", "gru", "simple_rnn"].includes(n)),
);

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-facade-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function inputsOf(name: string, count: number): HostTensor[] {
  return Array.from({ length: count }, (_, i) => readFixtureNpy("models", name, `input${i}.npy`));
}

function predictAll(
  model: { predict(x: HostTensor | HostTensor[]): HostTensor | HostTensor[] },
  inputs: HostTensor[],
): HostTensor[] {
  const out = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
  return Array.isArray(out) ? out : [out];
}

describe.each(modelFixtures().filter((m) => SUPPORTED.has(m.name)))("fixture model $name", (fixture) => {
  const inputs = () => inputsOf(fixture.name, fixture.inputs);
  const expectOutputs = (outputs: HostTensor[], what: string) => {
    expect(outputs).toHaveLength(fixture.outputs);
    for (const [i, o] of outputs.entries()) {
      expectAllClose(o, readFixtureNpy("models", fixture.name, `output${i}.npy`), {
        rtol: 1e-5,
        floor: 1e-3,
        label: `${what} output ${i}`,
      });
    }
  };

  it.each(["model.keras", "model.h5"])("loads Python's %s and predicts what Keras predicted", async (file) => {
    const model = await keras.models.loadModel(fixturePath("models", fixture.name, file));
    expect(model instanceof Model || model instanceof Sequential).toBe(true);
    expectOutputs(predictAll(model, inputs()), file);
  });

  it("loads Python's model.weights.h5 into the architecture of its twin", async () => {
    const model = await keras.models.loadModel(fixturePath("models", fixture.name, "model.keras"));
    const fresh = keras.models.cloneModel(model);
    const result = await fresh.loadWeights(fixturePath("models", fixture.name, "model.weights.h5"));
    expect(result.format).toBe("weights-h5");
    expect(result.loaded).toBe(fixture.weights);
    expectOutputs(predictAll(fresh, inputs()), "weights.h5");
  });

  it.each(["keras", "h5", "h5-keras3", "json+weights.h5", "json+h5"])(
    "saves as %s and loads back equal",
    async (kind) => {
      const model = await keras.models.loadModel(fixturePath("models", fixture.name, "model.keras"));
      const base = join(dir, `${fixture.name}-${kind}`);
      let reloaded: Model | Sequential;
      if (kind === "keras") {
        await model.save(`${base}.keras`);
        reloaded = await keras.models.loadModel(`${base}.keras`);
      } else if (kind === "h5" || kind === "h5-keras3") {
        await model.save(`${base}.h5`, kind === "h5-keras3" ? { settings: { dialect: "keras3" } } : {});
        reloaded = await keras.models.loadModel(`${base}.h5`);
      } else {
        await model.save(`${base}.json`);
        reloaded = await keras.models.loadModel(`${base}.json`);
        const weights = kind === "json+h5" ? `${base}.w.h5` : `${base}.weights.h5`;
        await model.saveWeights(weights);
        await reloaded.loadWeights(weights);
      }
      expectOutputs(predictAll(reloaded, inputs()), kind);
    },
  );
});

describe("loading errors", () => {
  it("refuses a weights-only file as a model, saying what to do", async () => {
    await expect(loadModel(fixturePath("models", "mlp_sequential", "model.weights.h5"))).rejects.toThrow(
      /holds only weights; build the model in code and call model.loadWeights\(\)/,
    );
  });

  it("names a missing file", async () => {
    await expect(loadModel(join(dir, "nope.keras"))).rejects.toBeInstanceOf(Error);
  });

  it('saves a path without a known extension as a SavedModel directory, as the guide\'s model.save("my_model")', async () => {
    const model = await keras.models.loadModel(fixturePath("models", "mlp_sequential", "model.keras"));
    await model.save(join(dir, "my_model"));
    const loaded = await keras.models.loadModel(join(dir, "my_model"));
    expect(loaded.toConfig()).toEqual(model.toConfig());
    expect(loaded.getWeights().map((w) => Array.from(w.data as Float32Array))).toEqual(
      model.getWeights().map((w) => Array.from(w.data as Float32Array)),
    );
  });
});
