import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { convBiasRelu, reluBiasGradKernel } from "./conv-bias-relu.js";
import { registerWasmKernels } from "./index.js";

// Conv2D + bias + ReLU while training (./conv-bias-relu.ts) against the composite tfjs records
// (conv2d, add, relu; their gradients Step, Multiply, Sum): the one-pass ReLU and bias gradient
// bit for bit (SIMD loop and JavaScript loop), and the layer's three gradients and output
// within float error (XNNPACK adds the bias first when fused).

function values(n: number, seed: number, zeros = false): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => {
    const v = Math.sin(i * 1.3 + seed) * 2;
    return zeros && i % 5 === 0 ? 0 : v;
  });
}

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
}

/** The kernel's [dz, db] as tensors. */
function reluBiasGrad(dy: tf.Tensor, y: tf.Tensor, useSimd: boolean): tf.Tensor[] {
  return reluBiasGradKernel({ inputs: { dy, y } as never, backend: tf.backend() as never, useSimd }).map((info) =>
    tf.engine().makeTensorFromTensorInfo(info as never),
  );
}

describe("Conv2D + bias + ReLU as one kernel while training", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
    await registerGradients();
  });

  for (const c of [32, 12, 6]) {
    it(`takes the gradient through the ReLU and sums the bias's as tfjs's ops do, bit for bit (${c} channels)`, () => {
      tf.tidy(() => {
        const shape = [3, 5, 7, c];
        const n = shape.reduce((a, d) => a * d, 1);
        // z with exact zeros (step(0) = 0) and negatives; y = relu(z).
        const z = tf.tensor(values(n, 1, true), shape);
        const y = tf.relu(z);
        const dy = tf.tensor(values(n, 2), shape);
        const wantDz = tf.mul(dy, tf.step(z));
        const wantDb = tf.sum(wantDz, [0, 1, 2]);
        for (const useSimd of [true, false]) {
          const [dz, db] = reluBiasGrad(dy, y, useSimd);
          expect(bits(dz!), `dz, simd ${useSimd}`).toEqual(bits(wantDz));
          expect(bits(db!), `db, simd ${useSimd}`).toEqual(bits(wantDb));
        }
      });
    });
  }

  it("keeps NaN and infinite gradients where the ReLU passes them, both loops alike", () => {
    tf.tidy(() => {
      const shape = [2, 8];
      const dy = tf.tensor(
        [Number.NaN, Infinity, -Infinity, 1, Number.NaN, 2, -3, 1e-39, ...new Array(8).fill(0.5)],
        shape,
      );
      const y = tf.tensor([1, 1, 1, 1, 0, 0, 2, 2, ...new Array(8).fill(1)], shape);
      const [simd] = reluBiasGrad(dy, y, true);
      const [js] = reluBiasGrad(dy, y, false);
      const got = Array.from(simd!.dataSync());
      expect(got.slice(0, 8)).toEqual([Number.NaN, Infinity, -Infinity, 1, Number.NaN, 0, -3, 0]);
      expect(got).toEqual(Array.from(js!.dataSync()));
    });
  });

  it("sets gradients under 2^-100 to zeros of their sign (subnormal products are slow), both loops", () => {
    tf.tidy(() => {
      const shape = [2, 3, 8];
      const n = shape.reduce((a, d) => a * d, 1);
      const tiny = [1e-39, -1e-39, 1e-45, 2 ** -126, -(2 ** -101), 2 ** -100, 1, -2];
      const dy = tf.tensor(
        Float32Array.from({ length: n }, (_, i) => tiny[i % tiny.length]!),
        shape,
      );
      const y = tf.ones(shape);
      const want = Array.from(dy.dataSync(), (v) => (Math.abs(v) < 2 ** -100 ? v * 0 : v));
      expect(want.filter((v) => v === 0).length).toBe(30); // 5 of every 8 are under 2^-100
      expect(want.filter((v) => Object.is(v, -0)).length).toBe(12);
      for (const useSimd of [true, false]) {
        const [dz, db] = reluBiasGrad(dy, y, useSimd);
        expect(Array.from(dz!.dataSync()), `dz, simd ${useSimd}`).toEqual(want);
        expect(Array.from(db!.dataSync()), `db, simd ${useSimd}`).toEqual(
          Array(8)
            .fill(0)
            .map((_, j) => 0 + 6 * want[j]!),
        );
      }
    });
  });

  for (const [stride, pad] of [
    [1, "same"],
    [2, "valid"],
    [2, "same"],
  ] as const) {
    it(`gives the composite's output and gradients (stride ${stride}, ${pad})`, () => {
      tf.tidy(() => {
        const x = tf.tensor4d(values(2 * 9 * 8 * 3, 3), [2, 9, 8, 3]);
        const w = tf.tensor4d(
          values(3 * 3 * 3 * 8, 4).map((v) => v * 0.3),
          [3, 3, 3, 8],
        );
        const b = tf.tensor1d(values(8, 5).map((v) => v * 0.2));
        const s: [number, number] = [stride, stride];
        const fused = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
          const out = convBiasRelu(xx as tf.Tensor4D, ww as tf.Tensor4D, bb, s, pad);
          expect(out).not.toBeNull();
          return tf.sum(tf.mul(out!, tf.mul(tf.reshape(tf.range(0, out!.size), out!.shape), 0.01)));
        };
        const plain = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
          const out = tf.relu(tf.add(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s, pad), bb));
          return tf.sum(tf.mul(out, tf.mul(tf.reshape(tf.range(0, out.size), out.shape), 0.01)));
        };
        const got = tf.grads(fused)([x, w, b]);
        const want = tf.grads(plain)([x, w, b]);
        for (let i = 0; i < 3; i++) {
          const [g, r] = [got[i]!.dataSync(), want[i]!.dataSync()];
          const scale = Math.max(...Array.from(r, Math.abs));
          expect(scale).toBeGreaterThan(0);
          for (let j = 0; j < r.length; j++) expect(Math.abs(g[j]! - r[j]!)).toBeLessThan(1e-5 * scale);
        }
      });
    });
  }

  it("is not used outside gradient recording (predict keeps tfjs's fused op)", () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
      expect(convBiasRelu(x, tf.zeros([3, 3, 2, 4]) as tf.Tensor4D, tf.zeros([4]), [1, 1], "same")).toBeNull();
    });
  });
});
