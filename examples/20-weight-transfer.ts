// The guide's in-memory weight transfer (在内存中将权重从一层转移到另一层 / 从一个模型转移到另一个
// 具有兼容架构的模型 / 无状态层的情况): get_weights and set_weights between layers, from a
// functional model to a subclassed one, and across a Dropout that has no weights.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
// examples/package.json does not list @kerastore/engine yet, so the engine comes from its source.
import { Dense, Dropout, Input, Model, clearSession, initBackend, tf } from "@kerastore/engine";

function createLayer(): Dense {
  const layer = new Dense({ units: 64, activation: "relu", name: "dense_2" });
  layer.build([null, 784]);
  return layer;
}

function functionalModel(withDropout: boolean): Model {
  const inputs = Input({ shape: [784], name: "digits" });
  let x = new Dense({ units: 64, activation: "relu", name: "dense_1" }).apply(inputs);
  x = new Dense({ units: 64, activation: "relu", name: "dense_2" }).apply(x);
  if (withDropout) x = new Dropout({ rate: 0.5 }).apply(x);
  const outputs = new Dense({ units: 10, name: "predictions" }).apply(x);
  return new Model({ inputs, outputs, name: "3_layer_mlp" });
}

class SubclassedModel extends Model {
  readonly dense1 = this.trackLayer(new Dense({ units: 64, activation: "relu", name: "dense_1" }));
  readonly dense2 = this.trackLayer(new Dense({ units: 64, activation: "relu", name: "dense_2" }));
  readonly dense3 = this.trackLayer(new Dense({ units: 10, name: "predictions" }));
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.dense3.apply(this.dense2.apply(this.dense1.apply(inputs as tf.Tensor)));
  }
}

const same = (a: tf.Tensor, b: tf.Tensor) => deepStrictEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));

export async function main(): Promise<void> {
  await initBackend();
  clearSession();

  // Layer to layer.
  const layer1 = createLayer();
  const layer2 = createLayer();
  layer2.setWeights(layer1.getWeights());
  const probe = tf.randomNormal([2, 784]);
  same(layer2.apply(probe), layer1.apply(probe));

  // Functional model to a subclassed model of the same architecture.
  const functional = functionalModel(false);
  const subclassed = new SubclassedModel({ name: "subclassed" });
  subclassed.apply(tf.ones([1, 784])); // builds its weights, as calling it in Python does
  strictEqual(subclassed.weights.length, functional.weights.length);
  subclassed.setWeights(functional.getWeights());
  same(subclassed.apply(probe), functional.apply(probe));

  // The stateless layer: a Dropout adds no weights, so the lists still line up.
  const withDropout = functionalModel(true);
  strictEqual(withDropout.weights.length, functional.weights.length);
  withDropout.setWeights(functional.getWeights());
  same(withDropout.apply(probe), functional.apply(probe));
}
