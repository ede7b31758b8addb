import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { globalAvgPool } from "./global-avg-pool.js";
import { registerWasmKernels } from "./index.js";

// Global average pooling as one kernel each way (./global-avg-pool.ts) against tfjs's Mean over
// the middle axes and its gradient: the same bits (channels by 4s through the SIMD column sums,
// and not).

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

describe("global average pooling on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
    await registerGradients();
  });

  for (const shape of [
    [3, 5, 7, 16],
    [2, 4, 3, 6],
    [4, 9, 5],
    [2, 2, 3, 2, 8],
  ]) {
    it(`gives tfjs's mean and its gradient, bit for bit (${JSON.stringify(shape)})`, () => {
      tf.tidy(() => {
        const n = shape.reduce((a, d) => a * d, 1);
        const x = tf.tensor(
          Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 3 + 1),
          shape,
        );
        const axes = shape.slice(1, -1).map((_, i) => i + 1);
        const dy = tf.tensor(
          Float32Array.from({ length: shape[0]! * shape.at(-1)! }, (_, i) => Math.cos(i) * 1.3),
          [shape[0]!, shape.at(-1)!],
        );
        const want = tf.mean(x, axes);
        const wantGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axes), dy)))(x);
        const got = globalAvgPool(x)!;
        const gotGrad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(globalAvgPool(t)!, dy)))(x);
        expect(got.shape).toEqual(want.shape);
        expect(bits(got)).toEqual(bits(want));
        expect(bits(gotGrad)).toEqual(bits(wantGrad));
      });
    });
  }
});
