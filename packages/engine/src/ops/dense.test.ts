import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { dense, onlyVariableGradients } from "./dense.js";
import { registerGradients } from "./gradients.js";

// Dense's gradient inside a training step (gradients of variables only): the first layer, fed
// the model's input, skips the product of its input gradient; the gradients stay the same bits,
// and a layer fed from a variable (through ops) still gets its input gradient.

const wave = (shape: number[], seed: number) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => Math.sin(i * 0.61 + seed)),
    shape,
  );

describe("dense in a training step", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
  });

  async function grads(variablesOnly: boolean, fromVariable: boolean) {
    const vars = [wave([6, 5], 1), wave([5], 2), wave([5, 3], 3), wave([3], 4), wave([4, 6], 5)].map((t) =>
      tf.variable(t),
    );
    const x = wave([4, 6], 6);
    const loss = () => {
      const input = fromVariable ? tf.mul(x, vars[4]!) : tf.reshape(tf.cast(x, "float32"), [4, 6]);
      const h = dense(input as tf.Tensor2D, vars[0] as tf.Tensor2D, vars[1] as tf.Tensor1D, "relu");
      const y = dense(h, vars[2] as tf.Tensor2D, vars[3] as tf.Tensor1D, "tanh");
      return tf.sum(tf.square(y)) as tf.Scalar;
    };
    let result: { grads: tf.NamedTensorMap } | undefined;
    const run = () => {
      result = tf.variableGrads(loss, vars);
    };
    const info = await tf.profile(() => (variablesOnly ? onlyVariableGradients(run) : run()));
    const products = info.kernels.filter((k) => k.name === "BatchMatMul" || k.name === "_FusedMatMul").length;
    const values = vars.map((v) => {
      const g = result!.grads[v.name];
      return g === undefined ? null : Array.from(g.dataSync());
    });
    tf.dispose([...vars, x, ...Object.values(result!.grads)]);
    return { products, values };
  }

  it("skips the first layer's input gradient when fed the model's input, same gradients", async () => {
    const plain = await grads(false, false);
    const step = await grads(true, false);
    expect(step.products).toBe(plain.products - 1);
    expect(step.values).toEqual(plain.values);
  });

  it("keeps it when the input comes from a variable", async () => {
    const plain = await grads(false, true);
    const step = await grads(true, true);
    expect(step.products).toBe(plain.products);
    expect(step.values).toEqual(plain.values);
  });
});
