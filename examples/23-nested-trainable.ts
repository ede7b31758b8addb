// The guide's NestedDenseLayer (变量的顺序): freezing a nested layer. tf.keras 2 listed
// trainable weights first, so the order changed; Keras 3 keeps `weights` in place and flips
// the flags. Both orders are here: `weights` (Keras 3) and `keras2Weights` (Keras 2, and the
// order Keras 2 H5 files store).
import { deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";
// examples/package.json does not list @kerastore/engine yet, so the engine comes from its source.
import { Dense, Input, Layer, Sequential, clearSession, initBackend, type tf } from "@kerastore/engine";

class NestedDenseLayer extends Layer {
  readonly dense1: Dense;
  readonly dense2: Dense;
  constructor(units: number, name?: string) {
    super({ name });
    this.dense1 = this.trackLayer(new Dense({ units, name: "dense_1" }), "dense_1");
    this.dense2 = this.trackLayer(new Dense({ units, name: "dense_2" }), "dense_2");
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.dense2.apply(this.dense1.apply(inputs as tf.Tensor));
  }
}

export async function main(): Promise<void> {
  await initBackend();
  clearSession();
  const nestedModel = new Sequential({ layers: [Input({ shape: [784] }), new NestedDenseLayer(10, "nested")] });
  const short = (path: string) => path.replace(/^sequential\//, "");
  const variableNames = nestedModel.keras2Weights.map((v) => short(v.path));
  deepStrictEqual(variableNames, [
    "nested/dense_1/kernel",
    "nested/dense_1/bias",
    "nested/dense_2/kernel",
    "nested/dense_2/bias",
  ]);

  (nestedModel.getLayer("nested") as NestedDenseLayer).dense1.trainable = false;

  const variableNames2 = nestedModel.keras2Weights.map((v) => short(v.path));
  deepStrictEqual(variableNames2, [
    "nested/dense_2/kernel",
    "nested/dense_2/bias",
    "nested/dense_1/kernel",
    "nested/dense_1/bias",
  ]);
  notDeepStrictEqual(variableNames, variableNames2); // "variable ordering changed: True"
  // Keras 3's own order stays put.
  deepStrictEqual(
    nestedModel.weights.map((v) => short(v.path)),
    variableNames,
  );
}
