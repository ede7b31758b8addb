import { describe, expect, it } from "vitest";
import { type Model, deserializeLayer, initBackend, tf } from "../index.js";
import { KerasOperation } from "./operations.js";

// Keras 3 operation nodes in a functional config: what is read as an operation, the refusals,
// and the node written back. Their numerics and training are the layers_extra/operations fixture's.

const tensor = (layer: string, shape: (number | null)[]) => ({
  class_name: "__keras_tensor__",
  config: { shape, dtype: "float32", keras_history: [layer, 0, 0] },
});

/** A functional config: x -> the given entry (called with `args`) as the output. */
function modelWith(entry: Record<string, unknown>, args: unknown[]): Record<string, unknown> {
  return {
    module: "keras",
    class_name: "Functional",
    config: {
      name: "m",
      trainable: true,
      layers: [
        {
          module: "keras.layers",
          class_name: "InputLayer",
          config: { batch_shape: [null, 3], dtype: "float32", name: "x" },
          name: "x",
          inbound_nodes: [],
        },
        { ...entry, name: "op", inbound_nodes: [{ args, kwargs: {} }] },
      ],
      input_layers: [["x", 0, 0]],
      output_layers: [["op", 0, 0]],
    },
  };
}

describe("Keras 3 operation nodes", () => {
  it("computes 3.0 - x with the constant first and writes the node back as Keras wrote it", async () => {
    await initBackend();
    const entry = {
      module: "keras.src.ops.numpy",
      class_name: "Subtract",
      config: { name: "op" },
      registered_name: "Subtract",
    };
    const model = deserializeLayer(modelWith(entry, [3.0, tensor("x", [null, 3])]) as never) as Model;
    const y = model.apply(tf.tensor2d([[1, 2, 4]])) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([2, 1, -1]);
    const written = (model.getConfig().layers as Record<string, unknown>[])[1]!;
    expect(written.module).toBe("keras.src.ops.numpy");
    expect(written.registered_name).toBe("Subtract");
    expect((written.inbound_nodes as { args: unknown[] }[])[0]!.args[0]).toBe(3);
  });

  it("reads Keras's legacy .h5 entry without a module as the operation (its config has no trainable / dtype)", async () => {
    await initBackend();
    const model = deserializeLayer(
      modelWith({ class_name: "Add", config: { name: "op" } }, [tensor("x", [null, 3]), 3.0]) as never,
    ) as Model;
    expect(model.getLayer("op")).toBeInstanceOf(KerasOperation);
    expect(Array.from((model.apply(tf.tensor2d([[1, 2, 4]])) as tf.Tensor).dataSync())).toEqual([4, 5, 7]);
    // A layer config (trainable, dtype, or keys the operation does not have) stays a layer.
    const layer = deserializeLayer({ class_name: "Reshape", config: { name: "r", target_shape: [3, 1] } } as never);
    expect(layer).not.toBeInstanceOf(KerasOperation);
  });

  it("refuses an operation it does not run by name, and an argument that is not a tensor or numbers", () => {
    const where = { module: "keras.src.ops.numpy", class_name: "Where", config: { name: "op" } };
    expect(() => deserializeLayer(modelWith(where, [tensor("x", [null, 3])]) as never)).toThrow(
      /Keras operation Where \(keras\.src\.ops\.numpy\) is not supported by Kerastore yet/,
    );
    const add = { module: "keras.src.ops.numpy", class_name: "Add", config: { name: "op" } };
    expect(() =>
      deserializeLayer(modelWith(add, [tensor("x", [null, 3]), { class_name: "__numpy__", config: {} }]) as never),
    ).toThrow(/neither a tensor nor a number: serialized objects are not supported by Kerastore yet/);
    // A layer (not an operation) given a constant beside its tensor is refused as such.
    const layer = { module: "keras.layers", class_name: "Dense", config: { name: "op", units: 2 } };
    expect(() => deserializeLayer(modelWith(layer, [tensor("x", [null, 3]), 3.0]) as never)).toThrow(
      /which a Keras layer does not take/,
    );
  });
});
