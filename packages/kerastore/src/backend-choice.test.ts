import { fixturePath } from "@kerastore/fixtures";
import { describe, expect, it, vi } from "vitest";
import { keras, tf } from "./node.js";

// Its own file: the backend is global to the process (vitest runs each file in its own fork).
describe("keras.ready({ backend })", () => {
  it("keeps the cpu backend a user chose through later loads and saves, and prints no tfjs banner", async () => {
    const warn = vi.spyOn(console, "warn");
    expect(await keras.ready({ backend: "cpu" })).toBe("cpu");
    const model = await keras.models.loadModel(fixturePath("models", "mlp_sequential", "model.keras"));
    expect(tf.getBackend()).toBe("cpu");
    await keras.savedModel.load(fixturePath("savedmodel", "keras_export", "saved_model"));
    expect(tf.getBackend()).toBe("cpu");
    expect(
      model.predictOne(
        keras.utils.hostTensor(
          "float32",
          [1, model.inputs[0]!.shape[1] as number],
          new Float32Array(model.inputs[0]!.shape[1] as number),
        ),
      ).dtype,
    ).toBe("float32");
    expect(await keras.ready()).toBe("cpu");
    expect(warn.mock.calls.flat().join("\n")).not.toMatch(/looks like you are running TensorFlow\.js in Node\.js/);
    warn.mockRestore();
    expect(await keras.ready({ backend: "wasm" })).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });
});
