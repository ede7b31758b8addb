import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { isReplaced, type KernelBackend, WasmKernelScope } from "./composite.js";
import { simdColumns } from "./column-simd.js";
import { canFuseReluBiasGrad, reluBiasGrad } from "./dense-grad.js";
import { registerWasmKernels } from "./index.js";

// Dense's fused relu-and-bias gradient and the SIMD column sums against the kernels they replace
// (WASM's Step and Multiply, and its own Sum over the transposed rows), bit for bit: column
// counts that are and are not multiples of 4, zeros, negative zeros.

const bits = (t: tf.Tensor) => {
  const v = t.dataSync() as Float32Array;
  return Array.from(new Int32Array(v.buffer, v.byteOffset, v.length));
};

function values(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.sin(i * 0.77 + seed) * 3 + (i % 5 === 0 ? -3 : 0);
  return v;
}

/** WASM's own kernel `name` (not ours). */
function native(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const k = new WasmKernelScope(tf.backend() as unknown as KernelBackend);
  try {
    return tf.engine().makeTensorFromTensorInfo(k.keep(k.run(name, inputs as never, attrs, isReplaced(name))));
  } finally {
    k.dispose();
  }
}

describe("Dense's relu-and-bias gradient and SIMD column sums on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    registerWasmKernels();
  });

  it("runs its SIMD column sums here", () => {
    expect(simdColumns(tf.backend())).not.toBeNull();
  });

  for (const [rows, c] of [
    [256, 512],
    [37, 10],
    [5, 3],
    [64, 17],
    [1, 8],
  ] as const) {
    it(`[${rows}, ${c}]: dz and db equal Step, Multiply and Sum bit for bit`, () => {
      tf.tidy(() => {
        const yv = values(rows * c, 1).map((v) => Math.max(v, 0));
        if (yv.length > 7) yv[7] = -0;
        const y = tf.tensor2d(yv, [rows, c]);
        const dv = values(rows * c, 2);
        dv[0] = -0;
        const dy = tf.tensor2d(dv, [rows, c]);
        expect(canFuseReluBiasGrad(dy, y)).toBe(true);
        const [dz, db] = reluBiasGrad(dy, y);
        const want = native("Multiply", { a: dy, b: native("Step", { x: y }, { alpha: 0 }) }, {});
        expect(bits(dz)).toEqual(bits(want));
        // WASM's Sum over the last axis of the transposed rows adds each column in row order.
        const rowsT = native("Transpose", { x: want }, { perm: [1, 0] });
        expect(bits(db)).toEqual(bits(native("Sum", { x: rowsT }, { axis: [1], keepDims: false })));
      });
    });

    it(`[${rows}, ${c}]: Sum and Mean over rows equal WASM's own kernels bit for bit`, () => {
      tf.tidy(() => {
        const x = tf.tensor2d(values(rows * c, 3), [rows, c]);
        const rowsT = native("Transpose", { x }, { perm: [1, 0] });
        expect(bits(tf.sum(x, 0))).toEqual(bits(native("Sum", { x: rowsT }, { axis: [1], keepDims: false })));
        expect(bits(tf.mean(x, 0))).toEqual(bits(native("Mean", { x: rowsT }, { axis: [1], keepDims: false })));
      });
    });
  }

  it("leaves nothing behind", () => {
    const y = tf.relu(tf.randomNormal([16, 12])) as tf.Tensor2D;
    const dy = tf.randomNormal([16, 12]) as tf.Tensor2D;
    const before = tf.memory().numBytes;
    tf.dispose(reluBiasGrad(dy, y));
    expect(tf.memory().numBytes).toBe(before);
    tf.dispose([y, dy]);
  });
});
