import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { registerWasmKernels } from "./index.js";
import { addRelu, addReluKernel, RELU, relu, reluGradKernel, reluGradValue } from "./relu-train.js";

// The ReLU's training kernels (./relu-train.ts, ./relu-simd.ts): the SIMD loops and the
// JavaScript loops against tfjs's own ops (Relu; its gradient dy * step(x)) and a float64
// definition, bit for bit, NaN, infinities and signed zeros included; gradients under 2^-100
// set to zeros of their sign.

const TINY = 2 ** -100;

/** Values with zeros of both signs, NaN, infinities, subnormals and numbers near 2^-100. */
const SPECIAL = [0, -0, Number.NaN, Infinity, -Infinity, 1e-40, -1e-40, TINY, -TINY * 0.99, 1, -1, 3.5, -2.25];

function values(n: number, seed: number, special = false): Float32Array {
  return Float32Array.from({ length: n }, (_, i) =>
    special && i % 3 === 0 ? SPECIAL[(i / 3 + seed) % SPECIAL.length]! : Math.sin(i * 1.7 + seed) * 2,
  );
}

/** The values' bits, every NaN as one (a NaN's sign and payload carry nothing). */
function bits(t: tf.Tensor | Float32Array): number[] {
  const v = t instanceof Float32Array ? t : (t.dataSync() as Float32Array);
  return Array.from(new Uint32Array(Float32Array.from(v).buffer), (b, i) => (Number.isNaN(v[i]!) ? 0x7fc00000 : b));
}

/** A kernel's output as a tensor. */
function tensor(info: unknown): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info as never);
}

/** dy * step(x) with values under 2^-100 flushed, in float64 then rounded: the definition. */
function reference(dy: Float32Array, x: Float32Array): Float32Array {
  return Float32Array.from(dy, (g, i) => {
    const t = x[i]!;
    const step = Number.isNaN(t) ? Number.NaN : t > 0 ? 1 : 0;
    const d = Math.fround(g * step);
    return Math.abs(d) < TINY ? d * 0 : d;
  });
}

describe("the ReLU's training kernels on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
    await registerGradients();
  });

  for (const n of [64, 37, 3]) {
    it(`takes the gradient in one pass, as tfjs's dy * step(x) with the flush (${n} values; SIMD and JavaScript)`, () => {
      tf.tidy(() => {
        const [xv, dyv] = [values(n, 1, true), values(n, 5, true)];
        const [x, dy] = [tf.tensor(xv), tf.tensor(dyv)];
        const want = reference(dyv, xv);
        // tfjs's gradient, flushed: the same bits.
        const tfjs = Float32Array.from(tf.mul(dy, tf.step(x)).dataSync(), (d) => (Math.abs(d) < TINY ? d * 0 : d));
        expect(bits(tfjs)).toEqual(bits(want));
        for (const useSimd of [true, false]) {
          const got = tensor(
            reluGradKernel({ inputs: { dy, t: x } as never, backend: tf.backend() as never, useSimd }),
          );
          expect(bits(got), `simd ${useSimd}`).toEqual(bits(want));
          // The ReLU's output gives the same steps as its input.
          const fromY = tensor(
            reluGradKernel({ inputs: { dy, t: tf.relu(x) } as never, backend: tf.backend() as never, useSimd }),
          );
          expect(bits(fromY), `simd ${useSimd}, from y`).toEqual(bits(want));
        }
        if (n > 30) {
          expect(want.some((v) => Number.isNaN(v))).toBe(true);
          expect(want.some((v) => Object.is(v, -0))).toBe(true);
        }
      });
    });
  }

  it("keeps the sign of a flushed gradient and keeps NaN (a `<` test, false for NaN)", () => {
    expect(Object.is(reluGradValue(-1e-35, 1), -0)).toBe(true);
    expect(Object.is(reluGradValue(1e-35, 1), 0)).toBe(true);
    expect(reluGradValue(TINY, 1)).toBe(TINY);
    expect(reluGradValue(Number.NaN, 1)).toBeNaN();
    expect(reluGradValue(1, Number.NaN)).toBeNaN();
    expect(reluGradValue(Infinity, 0)).toBeNaN();
    expect(Object.is(reluGradValue(-3, -0), -0)).toBe(true);
  });

  for (const n of [64, 39]) {
    it(`adds and applies the ReLU in one pass, as relu(a + b) (${n} values)`, () => {
      tf.tidy(() => {
        const [a, b] = [tf.tensor(values(n, 2, true)), tf.tensor(values(n, 7, true))];
        const want = tf.relu(tf.add(a, b));
        for (const useSimd of [true, false]) {
          const got = tensor(addReluKernel({ inputs: { a, b } as never, backend: tf.backend() as never, useSimd }));
          expect(bits(got), `simd ${useSimd}`).toEqual(bits(want));
        }
      });
    });
  }

  it("runs its kernels only while gradients are recorded, with tfjs's values and the flushed gradient", () => {
    tf.tidy(() => {
      const x = tf.tensor(values(40, 3, true), [5, 8]);
      const b = tf.tensor(values(40, 4), [5, 8]);
      const dy = tf.tensor(values(40, 6, true), [5, 8]);
      // Inference: tfjs's Relu.
      expect(bits(relu(x))).toEqual(bits(tf.relu(x)));
      const grads = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(addRelu(relu(p), q), dy)));
      const [gp, gq] = grads([x, b]);
      const z = tf.add(tf.relu(x), b);
      const wantQ = reference(dy.dataSync() as Float32Array, z.dataSync() as Float32Array);
      const wantP = reference(wantQ, x.dataSync() as Float32Array);
      expect(bits(gq!)).toEqual(bits(wantQ));
      expect(bits(gp!)).toEqual(bits(wantP));
    });
  });

  it("records its own kernel under a gradient scope (tfjs's global Relu gradient is untouched)", async () => {
    const x = tf.tensor(values(16, 1));
    const profile = await tf.profile(() => {
      tf.tidy(() => tf.grad((p: tf.Tensor) => tf.sum(relu(p)))(x));
    });
    const kernels = profile.kernels.map((k) => k.name);
    expect(kernels).toContain(RELU);
    expect(kernels).toContain("KerastoreReluGrad");
    expect(kernels).not.toContain("Step");
    x.dispose();
  });
});
