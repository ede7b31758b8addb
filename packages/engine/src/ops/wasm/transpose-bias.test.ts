import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerWasmKernels } from "./index.js";
import { canTransposeBiasAct, transposeBiasAct } from "./transpose-bias.js";

// The transpose with a bias per source row and relu (Dense computed transposed) against
// Transpose, Add and Relu, bit for bit: sizes that are and are not multiples of 4, more rows
// than one band of the SIMD loop.

const bits = (t: tf.Tensor) => {
  const v = t.dataSync() as Float32Array;
  return Array.from(new Int32Array(v.buffer, v.byteOffset, v.length));
};
const wave = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

describe("KerastoreTransposeBiasAct on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    registerWasmKernels();
  });

  it("runs here", () => {
    expect(canTransposeBiasAct()).toBe(true);
  });

  for (const [rows, cols] of [
    [96, 32],
    [37, 45],
    [45, 37],
    [130, 18],
    [16, 3],
  ] as const) {
    for (const relu of [true, false]) {
      it(`[${rows}, ${cols}] ${relu ? "relu" : "linear"}`, () => {
        tf.tidy(() => {
          const z = tf.tensor2d(wave(rows * cols, 1), [rows, cols]);
          const b = tf.tensor1d(wave(rows, 2));
          const sum = tf.add(tf.transpose(z), b);
          const want = relu ? tf.relu(sum) : sum;
          const got = transposeBiasAct(z, b, relu);
          expect(got.shape).toEqual([cols, rows]);
          expect(bits(got)).toEqual(bits(want));
        });
      });
    }
  }
});
