import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { simdBatchNorm } from "./batch-norm-simd.js";
import { registerWasmKernels } from "./index.js";
import { SCALE_SHIFT, scaleShift } from "./scale-shift.js";

// Batch normalization's `x * a + b` as one WASM kernel against the two ops it replaces: the
// value and the gradients of x, a and b, the same bits.

const wave = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.71 + seed) * 2);

describe("scale-shift kernel", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    await registerGradients();
    registerWasmKernels();
  });

  it("runs the SIMD loop here (channels a multiple of 4)", () => {
    expect(simdBatchNorm(tf.backend())).not.toBeNull();
  });

  // Channels 3 and 11: the JavaScript loop; 8 and 12: the SIMD loop.
  for (const shape of [
    [4, 5, 6, 3],
    [7, 11],
    [3, 9, 8],
    [5, 7, 7, 12],
  ]) {
    it(`gives the ops' value and gradients, bit for bit (${shape.join("x")})`, async () => {
      const n = shape.reduce((p, d) => p * d, 1);
      const c = shape[shape.length - 1]!;
      const x = tf.tensor(wave(n, 1), shape);
      const a = tf.tensor1d(wave(c, 2));
      const b = tf.tensor1d(wave(c, 3));
      const w = tf.tensor(wave(n, 4), shape);
      const loss = (f: (x: tf.Tensor, a: tf.Tensor1D, b: tf.Tensor1D) => tf.Tensor) =>
        tf.grads((x: tf.Tensor, a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(f(x, a as tf.Tensor1D, b as tf.Tensor1D), w)),
        )([x, a, b]);
      const info = await tf.profile(() => scaleShift(x, a, b));
      expect(info.kernels.map((k) => k.name)).toEqual([SCALE_SHIFT]);
      const fused = [scaleShift(x, a, b), ...loss(scaleShift)];
      const ops = [tf.add(tf.mul(x, a), b), ...loss((x, a, b) => tf.add(tf.mul(x, a), b))];
      // And the definition, each value rounded as two float32 operations.
      const [xv, av, bv] = [x.dataSync(), a.dataSync(), b.dataSync()];
      const want = Float32Array.from(xv, (v, i) => Math.fround(v * av[i % c]!) + bv[i % c]!);
      expect(Array.from(fused[0]!.dataSync())).toEqual(Array.from(want));
      for (const [i, t] of ops.entries()) {
        expect(fused[i]!.shape).toEqual(t.shape);
        expect(Array.from(fused[i]!.dataSync()), `output ${i}`).toEqual(Array.from(t.dataSync()));
      }
      tf.dispose([x, a, b, w, ...fused, ...ops, info.result as tf.Tensor]);
    });
  }
});
