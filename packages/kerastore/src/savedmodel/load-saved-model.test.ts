import type { HostTensor } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { tf } from "@kerastore/engine";
import { SavedModelError } from "@kerastore/savedmodel";
import { describe, expect, it } from "vitest";
import { keras, loadSavedModel } from "../node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

describe("loadSavedModel", () => {
  it("runs a Keras 3 model.export through serving_default and serve to Python's outputs", async () => {
    const loaded = await loadSavedModel(fixturePath("savedmodel", "keras_export", "saved_model"));
    const x = readFixtureNpy("savedmodel", "keras_export", "input0.npy");
    const y = readFixtureNpy("savedmodel", "keras_export", "output0.npy");
    expect(loaded.tags).toEqual(["serve"]);
    expect(Object.keys(loaded.signatures).sort()).toEqual(["serve", "serving_default"]);
    expect(Object.keys(loaded.functions)).toEqual(["serve"]);
    // Python's loaded.variables: the root's `variables` list, not the `_all_variables` copies.
    expect(loaded.variables.map((v) => [v.name, v.shape])).toEqual([
      ["hidden/kernel", [6, 8]],
      ["hidden/bias", [8]],
      ["probs/kernel", [8, 3]],
      ["probs/bias", [3]],
    ]);
    expect(loaded.info.variables).toHaveLength(8);
    const out = await loaded.signatures["serving_default"]!({ features: x });
    expect(Object.keys(out)).toEqual(["output_0"]);
    expectAllClose(out["output_0"]!, y, { rtol: 1e-5, floor: 1, dtype: true });
    expectAllClose((await loaded.functions["serve"]!(x)) as HostTensor, y, { rtol: 1e-5, floor: 1, dtype: true });
    expectAllClose((await loaded.signatures["serve"]!({ features: x }))["output_0"]!, y, {
      rtol: 1e-5,
      floor: 1,
      dtype: true,
    });
    // Running again gives the same answer: the captured variables survive a call.
    expectAllClose((await loaded.functions["serve"]!(x)) as HostTensor, y, { rtol: 1e-5, floor: 1, dtype: true });
    loaded.dispose();
  });

  it("runs a tf.Module's signature and __call__ to Python's outputs, with its variables", async () => {
    const loaded = await keras.savedModel.load(fixturePath("savedmodel", "tf_module", "saved_model"));
    const x = readFixtureNpy("savedmodel", "tf_module", "input0.npy");
    const y = readFixtureNpy("savedmodel", "tf_module", "output0.npy");
    expectAllClose((await loaded.signatures["serving_default"]!({ x }))["y"]!, y, {
      rtol: 1e-5,
      floor: 1,
      dtype: true,
    });
    const called = (await loaded.functions["__call__"]!(x)) as { y: HostTensor };
    expectAllClose(called.y, y, { rtol: 1e-5, floor: 1, dtype: true });
    expect(loaded.variables.map((v) => [v.name, v.dtype, v.shape, v.trainable])).toEqual([
      ["w", "float32", [3, 4], true],
      ["b", "float32", [4], true],
      ["steps", "int64", [], false],
      ["factor", "float32", [4], true],
    ]);
    loaded.dispose();
  });

  it("leaves no tensors behind: only the captured variables live between calls, none after dispose", async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadSavedModel(fixturePath("savedmodel", "keras_export", "saved_model"));
    const x = readFixtureNpy("savedmodel", "keras_export", "input0.npy");
    await loaded.functions["serve"]!(x);
    const afterFirst = tf.memory().numTensors;
    expect(afterFirst - before).toBe(4);
    for (let i = 0; i < 5; i++) {
      await loaded.functions["serve"]!(x);
      await loaded.signatures["serving_default"]!({ features: x });
    }
    await expect(
      loaded.signatures["serving_default"]!({ features: readFixtureNpy("savedmodel", "tf_module", "input0.npy") }),
    ).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(afterFirst);
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("frees its variables with `using` (Symbol.dispose); a second dispose is harmless", async () => {
    const before = tf.memory().numTensors;
    {
      using loaded = await loadSavedModel(fixturePath("savedmodel", "keras_export", "saved_model"));
      // The captured variables reach the backend with the first call.
      await loaded.functions["serve"]!(readFixtureNpy("savedmodel", "keras_export", "input0.npy"));
      expect(tf.memory().numTensors).toBeGreaterThan(before);
      loaded.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses inputs of the wrong shape or name with a typed error", async () => {
    const loaded = await loadSavedModel(fixturePath("savedmodel", "tf_module", "saved_model"));
    const bad = readFixtureNpy("savedmodel", "keras_export", "input0.npy");
    await expect(loaded.signatures["serving_default"]!({ x: bad })).rejects.toThrow(
      /must be float32 \[\?, 3\], got float32 \[4, 6\]/,
    );
    await expect(loaded.signatures["serving_default"]!({ features: bad })).rejects.toBeInstanceOf(SavedModelError);
    loaded.dispose();
  });
});
