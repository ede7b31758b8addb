import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LSTM, layersWithOtherDefinitions } from "@kerastore/engine";
import { realworld } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

const rw = realworld();
let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-definitions-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const warningsOf = async (save: (onWarning: (m: string) => void) => Promise<void>): Promise<string[]> => {
  const out: string[] = [];
  await save((m) => out.push(m));
  return out.filter((m) => m.includes("hard_sigmoid"));
};

describe("activations whose definition Keras 3 changed, on save", () => {
  it("a model built here computes Keras 3's hard_sigmoid: warned (for tf.keras 2) when saved as a Keras 2 dialect .h5 only", async () => {
    const inputs = keras.Input({ shape: [4, 3] });
    const outputs = new LSTM({ units: 2, recurrentActivation: "hard_sigmoid" }).apply(inputs);
    const model = new keras.Model({ inputs, outputs });
    expect(layersWithOtherDefinitions(model, 3)).toEqual([]);
    expect(layersWithOtherDefinitions(model, 2).join()).toMatch(/hard_sigmoid, Keras 3's definition/);
    expect(await warningsOf((onWarning) => model.save(join(dir, "built.keras"), { onWarning }))).toEqual([]);
    expect(
      await warningsOf((onWarning) =>
        model.save(join(dir, "built.h5"), { onWarning, settings: { dialect: "keras3" } }),
      ),
    ).toEqual([]);
    expect((await warningsOf((onWarning) => model.save(join(dir, "built.h5"), { onWarning }))).join()).toMatch(
      /tf\.keras 2 computes/,
    );
    // Kerastore reads it back with the definition it was saved with.
    const back = await keras.models.loadModel(join(dir, "built.h5"), { onWarning: () => undefined });
    expect(layersWithOtherDefinitions(back, 3)).toEqual([]);
  });

  describe.skipIf(rw.dir === undefined)(`a Keras 2.0 LSTM file${rw.missing ? ` (skipped: ${rw.missing})` : ""}`, () => {
    const file = () => join(rw.dir!, "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5");

    it("keeps Keras 2's hard_sigmoid (found through the LSTM's cell); saving it where Keras 3 reads the name is warned of", async () => {
      const model = await keras.models.loadModel(file(), { onWarning: () => undefined });
      expect(layersWithOtherDefinitions(model, 3).join()).toMatch(/hard_sigmoid, Keras 2's definition/);
      expect((await warningsOf((onWarning) => model.save(join(dir, "old.keras"), { onWarning }))).join()).toMatch(
        /Keras 3 computes .* save as \.h5 \(Keras 2 dialect/,
      );
    });

    it("saved as a Keras 2 dialect .h5, it reads back with Keras 2's definition (only Keras 3's reading is warned of)", async () => {
      const model = await keras.models.loadModel(file(), { onWarning: () => undefined });
      expect((await warningsOf((onWarning) => model.save(join(dir, "old.h5"), { onWarning }))).join()).toMatch(
        /tf\.keras 2 and Kerastore keep it/,
      );
      const back = await keras.models.loadModel(join(dir, "old.h5"), { onWarning: () => undefined });
      expect(layersWithOtherDefinitions(back, 3).length).toBeGreaterThan(0);
    });
  });
});
