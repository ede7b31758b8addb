import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { registerWasmKernels } from "./index.js";
import { canFuseSoftmaxCrossEntropy, softmaxCrossEntropy } from "./softmax-ce.js";

// The fused softmax crossentropy (two kernels) against the ops it replaces, -sum(t *
// logSoftmax(z), -1) and tfjs's autodiff of them: values and logit gradients within float32
// rounding, one-hot and soft targets (not summing to 1), large logits, a rank-3 output, a weighted upstream gradient.

function wave(shape: number[], seed: number, scale = 3): tf.Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(
    Array.from({ length: n }, (_, i) => Math.sin(i * 0.91 + seed) * scale),
    shape,
  );
}

function close(a: tf.Tensor, e: tf.Tensor, tol = 2e-6) {
  expect(a.shape).toEqual(e.shape);
  const av = a.dataSync();
  const ev = e.dataSync();
  let scale = 1e-3;
  for (const v of ev) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < ev.length; i++) expect(Math.abs(av[i]! - ev[i]!), `element ${i}`).toBeLessThan(tol * scale);
}

describe("softmax crossentropy from logits on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    await registerGradients();
    registerWasmKernels();
  });

  const plain = (t: tf.Tensor, z: tf.Tensor) => tf.neg(tf.sum(tf.mul(t, tf.logSoftmax(z, -1)), -1));

  for (const [name, shape, soft, scale] of [
    ["one-hot [256, 10]", [256, 10], false, 3],
    ["soft targets [37, 7]", [37, 7], true, 3],
    ["large logits [16, 5]", [16, 5], false, 80],
    ["rank 3 [4, 6, 9]", [4, 6, 9], true, 2],
  ] as const) {
    it(`${name}: loss and logit gradient equal the ops'`, () => {
      tf.tidy(() => {
        const z = wave([...shape], 1, scale);
        const c = shape[shape.length - 1]!;
        const t = soft
          ? tf.abs(wave([...shape], 2, 1))
          : tf.cast(
              tf.reshape(
                tf.oneHot(
                  tf.tensor1d(
                    Array.from({ length: z.size / c }, (_, i) => (i * 7) % c),
                    "int32",
                  ),
                  c,
                ),
                [...shape],
              ),
              "float32",
            );
        expect(canFuseSoftmaxCrossEntropy(t, z)).toBe(true);
        const w = wave(shape.slice(0, -1), 3, 1);
        const lossOf = (f: typeof plain) => (zz: tf.Tensor) => tf.sum(tf.mul(f(t, zz), w));
        close(softmaxCrossEntropy(t, z), plain(t, z));
        close(tf.grad(lossOf(softmaxCrossEntropy))(z), tf.grad(lossOf(plain))(z));
      });
    });
  }

  it("sets a confident model's tiny logit gradients (under 2^-100) to zero, keeps the others", () => {
    tf.tidy(() => {
      // Margins of 90, 75 and 60: e^-90 = 8.2e-40 (subnormal), e^-75 = 2.7e-33 (under 2^-100 =
      // 7.9e-31), e^-60 = 8.8e-27 (kept).
      const z = tf.tensor2d([
        [90, 0, 0],
        [75, 0, 0],
        [60, 0, 0],
      ]);
      const t = tf.tensor2d([
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
      ]);
      const g = tf
        .grad((zz: tf.Tensor) => tf.sum(softmaxCrossEntropy(t, zz)))(z)
        .arraySync() as number[][];
      expect(g[0]!.slice(1)).toEqual([0, 0]);
      expect(g[1]!.slice(1)).toEqual([0, 0]);
      expect(Math.abs(g[2]![1]! / Math.exp(-60) - 1)).toBeLessThan(1e-6);
    });
  });

  it("leaves nothing behind", () => {
    const z = wave([8, 5], 1);
    const t = tf.softmax(wave([8, 5], 2));
    const before = tf.memory().numTensors;
    const g = tf.grad((zz: tf.Tensor) => tf.sum(softmaxCrossEntropy(t, zz)))(z);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([z, t]);
  });
});
