import * as tf from "@tensorflow/tfjs-core";
import { simdColumns } from "./column-simd.js";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";

// The backward pass of Dense's relu and bias in one kernel: dz = dy * step(y) and the bias
// gradient sum(dz, 0), one pass over [rows, c] (four columns a WebAssembly SIMD vector where it
// runs, ./column-simd.ts) in place of Step, Multiply and Sum (three kernel launches, three
// passes). Each value is computed as those kernels compute it (step as WASM's Step, NaN kept;
// one float32 product; column sums in float32 row after row, as ./column-reduce.ts): the same
// bits.

export const RELU_BIAS_GRAD = "KerastoreReluBiasGrad";

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Args = { inputs: { dy: TensorInfo; y: TensorInfo }; backend: KernelBackend };

/** [dz, db] from dy and y = relu(z), both [rows, c] float32. */
export function reluBiasGradKernel({ inputs, backend }: Args): TensorInfo[] {
  const { dy, y } = inputs;
  const [rows, c] = y.shape as [number, number];
  const heap = backend as HeapBackend;
  const dzInfo = heap.makeOutput([rows, c], "float32");
  const dbInfo = heap.makeOutput([c], "float32");
  // Views after the last allocation.
  const [g, out, dz, db] = [dy, y, dzInfo, dbInfo].map((t) => heapF32(backend, t)) as Float32Array[];
  db!.fill(0);
  const simd = simdColumns(backend);
  const c4 = simd === null ? 0 : c - (c % 4);
  if (c4 > 0) simd!.reluGrad(g!.byteOffset, out!.byteOffset, dz!.byteOffset, db!.byteOffset, rows, 4 * c, 4 * c4);
  if (c4 < c) {
    for (let r = 0, o = 0; r < rows; r++, o += c) {
      for (let j = c4; j < c; j++) {
        const v = out![o + j]!;
        const d = Math.fround(g![o + j]! * (Number.isNaN(v) ? v : v > 0 ? 1 : 0));
        dz![o + j] = d;
        db![j] = db![j]! + d;
      }
    }
  }
  return [dzInfo, dbInfo];
}

/** Whether {@link reluBiasGrad} runs as one kernel here (the WASM backend, float32 2-D). */
export function canFuseReluBiasGrad(dy: tf.Tensor, y: tf.Tensor): boolean {
  return (
    tf.getBackend() === "wasm" &&
    y.rank === 2 &&
    y.dtype === "float32" &&
    dy.dtype === "float32" &&
    tf.getKernel(RELU_BIAS_GRAD, "wasm") !== undefined
  );
}

/** [dz, db]: dy * step(y) and its column sums. */
export function reluBiasGrad(dy: tf.Tensor2D, y: tf.Tensor2D): [tf.Tensor2D, tf.Tensor1D] {
  return tf.engine().runKernel(RELU_BIAS_GRAD, { dy, y } as never) as unknown as [tf.Tensor2D, tf.Tensor1D];
}
