import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { dense, onlyVariableGradients } from "./dense.js";
import { registerGradients } from "./gradients.js";
import { OWN_MATMUL } from "./wasm/own-matmul.js";

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

  // XNNPACK's products, and the engine's own (./wasm/own-matmul.ts).
  const PRODUCTS = ["BatchMatMul", "_FusedMatMul", OWN_MATMUL];

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
    const products = info.kernels.filter((k) => PRODUCTS.includes(k.name)).length;
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

describe("dense computed transposed (batch smaller than the layer)", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
  });

  // relu(x W + b) and its gradients as plain ops: the reference.
  function reference(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, act: "relu" | "linear") {
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      const z = tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb);
      return act === "relu" ? tf.relu(z) : z;
    };
    const dy = wave([x.shape[0], w.shape[1]], 9);
    const y = f(x, w, b);
    const g = tf.grads((xx, ww, bb) => tf.sum(tf.mul(f(xx!, ww!, bb!), dy)))([x, w, b]);
    return { y, g };
  }

  for (const act of ["relu", "linear"] as const) {
    it(`${act}: outputs and gradients equal plain ops within float error, through the transposed kernels`, async () => {
      const x = wave([32, 64], 1) as tf.Tensor2D;
      const w = tf.mul(wave([64, 96], 2), 0.3) as tf.Tensor2D;
      const b = wave([96], 3) as tf.Tensor1D;
      const want = reference(x, w, b, act);
      const dy = wave([32, 96], 9);
      let y: tf.Tensor | undefined;
      let g: tf.Tensor[] = [];
      const info = await tf.profile(() => {
        y = tf.keep(dense(x, w, b, act));
        g = tf.grads((xx, ww, bb) =>
          tf.sum(tf.mul(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, act), dy)),
        )([x, w, b]);
      });
      const names = info.kernels.map((k) => k.name);
      expect(names).toContain("KerastoreTransposeBiasAct");
      const close = (a: tf.Tensor, e: tf.Tensor) => {
        const av = a.dataSync();
        const ev = e.dataSync();
        expect(a.shape).toEqual(e.shape);
        let scale = 0;
        for (const v of ev) scale = Math.max(scale, Math.abs(v));
        for (let i = 0; i < ev.length; i++)
          expect(Math.abs(av[i]! - ev[i]!), `element ${i}`).toBeLessThan(1e-5 * scale);
      };
      close(y!, want.y);
      for (const [i, e] of want.g.entries()) close(g[i]!, e);
      tf.dispose([x, w, b, dy, y!, ...g, want.y, ...want.g]);
    });
  }
});
