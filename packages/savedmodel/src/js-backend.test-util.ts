import { toFloat32 } from "@kerastore/core";
import type { Kernel, RunnerBackend } from "./index.js";

/** A small float32 tensor in plain arrays: a real (if slow) backend, enough for dense layers. */
export interface Mat {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const unary =
  (f: (x: number) => number): Kernel<Mat> =>
  ([x]) => [{ shape: x!.shape, data: x!.data.map(f) }];
/** Elementwise with the second operand broadcast along the last axis (all the fixtures need). */
const binary =
  (f: (a: number, b: number) => number): Kernel<Mat> =>
  ([a, b]) => {
    const n = b!.data.length;
    return [{ shape: a!.shape, data: a!.data.map((v, i) => f(v, b!.data[i % n]!)) }];
  };
const identity: Kernel<Mat> = (inputs) => [inputs[0]!];

export const backend: RunnerBackend<Mat> = {
  kernels: {
    Identity: identity,
    ReadVariableOp: identity,
    MatMul: ([a, b]) => {
      const [m, k] = a!.shape as [number, number];
      const n = b!.shape[1]!;
      const out = new Float32Array(m * n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++)
          for (let p = 0; p < k; p++) out[i * n + j]! += a!.data[i * k + p]! * b!.data[p * n + j]!;
      return [{ shape: [m, n], data: out }];
    },
    BiasAdd: binary((a, b) => a + b),
    AddV2: binary((a, b) => a + b),
    Mul: binary((a, b) => a * b),
    Relu: unary((x) => Math.max(x, 0)),
    Tanh: unary(Math.tanh),
    Softmax: ([x]) => {
      const n = x!.shape[x!.shape.length - 1]!;
      const out = new Float32Array(x!.data.length);
      for (let r = 0; r < out.length; r += n) {
        const row = x!.data.subarray(r, r + n);
        const max = Math.max(...row);
        const e = row.map((v) => Math.exp(v - max));
        const sum = e.reduce((s, v) => s + v, 0);
        for (let j = 0; j < n; j++) out[r + j] = e[j]! / sum;
      }
      return [{ shape: x!.shape, data: out }];
    },
  },
  capture: (value) => ({ shape: value.shape, data: toFloat32(value) }),
  describe: (t) => ({ dtype: "float32", shape: t.shape }),
};
