import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { plainProduct } from "../matmul.js";
import { registerWasmKernels } from "./index.js";
import { OWN_MATMUL } from "./own-matmul.js";

// The plain product on the engine's own SIMD product (./own-matmul.ts): against the product
// summed in float64 over shapes around its tiles (4 rows, 8 and 4 columns, single columns),
// an empty inner dimension, and the Dense path's plainProduct taking it on this backend.

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.77 + seed) * 2);
}

function reference(a: Float32Array, b: Float32Array, [m, k, n]: number[]): Float64Array {
  const c = new Float64Array(m! * n!);
  for (let i = 0; i < m!; i++)
    for (let j = 0; j < n!; j++) {
      let s = 0;
      for (let p = 0; p < k!; p++) s += a[i * k! + p]! * b[p * n! + j]!;
      c[i * n! + j] = s;
    }
  return c;
}

describe("the plain product on our SIMD product", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
  });

  for (const [m, k, n] of [
    [1, 1, 1],
    [5, 3, 9],
    [8, 33, 16],
    [33, 70, 10],
    [256, 784, 13],
  ])
    it(`equals the float64 product: [${m}, ${k}] x [${k}, ${n}]`, () => {
      const [av, bv] = [values(m! * k!, 1), values(k! * n!, 2)];
      const got = (
        tf.engine().runKernel(OWN_MATMUL, { a: tf.tensor2d(av, [m!, k!]), b: tf.tensor2d(bv, [k!, n!]) }) as tf.Tensor
      ).dataSync();
      const want = reference(av, bv, [m!, k!, n!]);
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got[i]! - want[i]!), `value ${i}`).toBeLessThan(1e-5 * scale);
    });

  it("gives zeros over an empty inner dimension", () => {
    const out = tf.engine().runKernel(OWN_MATMUL, { a: tf.zeros([3, 0]), b: tf.zeros([0, 5]) }) as tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual(new Array(15).fill(0));
  });

  it("is what plainProduct runs on this backend", async () => {
    const [a, b] = [tf.tensor2d(values(12, 3), [3, 4]), tf.tensor2d(values(20, 4), [4, 5])];
    const info = await tf.profile(() => plainProduct(a, b));
    expect(info.kernelNames).toEqual([OWN_MATMUL]);
    expect(info.newTensors).toBe(1);
  });
});
