// The guide's answer for very different architectures: tf.train.Checkpoint saves and restores
// exact layers and variables. The first and last Dense layers of the functional model go into a
// checkpoint; a subclassed ContrivedModel restores them by the same names, and
// assert_consumed passes.
import { deepStrictEqual } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toFloat32 } from "@kerastore/core";
import { type Shape, type Variable, tf } from "@kerastore/engine";
import { keras } from "kerastore";

class ContrivedModel extends keras.Model {
  readonly firstDense = this.trackLayer(new keras.layers.Dense({ units: 64 }), "first_dense");
  kernel!: Variable;
  bias!: Variable;
  override build(inputShape: Shape | Shape[]): void {
    this.firstDense.build(inputShape);
    this.kernel = this.addWeight({ name: "kernel", shape: [64, 10] });
    this.bias = this.addWeight({ name: "bias", shape: [10] });
    super.build(inputShape);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = this.firstDense.apply(inputs as tf.Tensor);
    return tf.add(tf.matMul(x, this.kernel.value), this.bias.value);
  }
}

const flat = (v: Variable) => Array.from(toFloat32(v.read()));

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const inputs = keras.Input({ shape: [784], name: "digits" });
    let x = new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_1" }).apply(inputs);
    x = new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_2" }).apply(x);
    const outputs = new keras.layers.Dense({ units: 10, name: "predictions" }).apply(x);
    const functionalModel = new keras.Model({ inputs, outputs, name: "3_layer_mlp" });

    // First, save the weights of functional_model's first and last dense layers.
    const firstDense = functionalModel.layers[1]!;
    const lastDense = functionalModel.layers.at(-1)!;
    const [lastKernel, lastBias] = lastDense.ownWeights;
    const ckptPath = await new keras.Checkpoint({ dense: firstDense, kernel: lastKernel!, bias: lastBias! }).save(
      join(dir, "ckpt"),
    );

    const model = new ContrivedModel();
    // Call the model on inputs to create the variables of the dense layer.
    model.apply(tf.ones([1, 784]));

    // Create a Checkpoint with the same structure as before, and load the weights.
    (
      await new keras.Checkpoint({ dense: model.firstDense, kernel: model.kernel, bias: model.bias }).restore(ckptPath)
    ).assertConsumed();
    deepStrictEqual(flat(model.kernel), flat(lastKernel!));
    deepStrictEqual(flat(model.firstDense.ownWeights[0]!), flat(firstDense.ownWeights[0]!));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
