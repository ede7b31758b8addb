import * as tf from "@tensorflow/tfjs-core";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { simdTranspose } from "./transpose.js";

// [F, B] to [B, F] with a bias per source row and relu or none: max(z[f][b] + bias[f], lo) in
// float32, lo 0 (relu) or -Infinity (the bias alone). The last step of a Dense layer computed
// transposed (../dense.ts): z^T = W^T x^T makes XNNPACK pack x^T, [in, batch], instead of the
// kernel, [in, out], a pack it redoes for every new kernel tensor (each training step's) at
// ~4-6 ns an element. The 4 x 4 blocks run in ./transpose.ts's SIMD loop, the edges here.

export const TRANSPOSE_BIAS_ACT = "KerastoreTransposeBiasAct";

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Args = { inputs: { z: TensorInfo; bias: TensorInfo }; attrs: { relu: boolean }; backend: KernelBackend };

/** Rows of the source a call of the SIMD loop covers (a multiple of 4). */
const TILE = 64;

export function transposeBiasActKernel({ inputs, attrs, backend }: Args): TensorInfo {
  const { z, bias } = inputs;
  const [rows, cols] = z.shape as [number, number];
  const out = (backend as HeapBackend).makeOutput([cols, rows], "float32");
  const [src, b, dst] = [z, bias, out].map((t) => heapF32(backend, t)) as [Float32Array, Float32Array, Float32Array];
  const lo = attrs.relu ? 0 : Number.NEGATIVE_INFINITY;
  const simd = simdTranspose(backend);
  const r4 = simd === null ? 0 : rows - (rows % 4);
  const c4 = simd === null ? 0 : cols - (cols % 4);
  for (let r = 0; r < r4 && c4 > 0; r += TILE) {
    const n = Math.min(TILE, r4 - r);
    simd!.blocksBias(
      src.byteOffset + 4 * r * cols,
      dst.byteOffset + 4 * r,
      n,
      c4,
      4 * cols,
      4 * rows,
      b.byteOffset + 4 * r,
      lo,
    );
  }
  // Math.max is WebAssembly's f32x4.max here: NaN stays NaN, max(-0, 0) is 0.
  const one = (i: number, j: number) => {
    dst[j * rows + i] = Math.max(Math.fround(src[i * cols + j]! + b[i]!), lo);
  };
  for (let i = 0; i < rows; i++) for (let j = c4; j < cols; j++) one(i, j);
  for (let i = r4; i < rows; i++) for (let j = 0; j < c4; j++) one(i, j);
  return out;
}

/** Whether {@link transposeBiasAct} runs here (the WASM backend with its SIMD loop). */
export function canTransposeBiasAct(): boolean {
  return (
    tf.getBackend() === "wasm" &&
    tf.getKernel(TRANSPOSE_BIAS_ACT, "wasm") !== undefined &&
    simdTranspose(tf.backend()) !== null
  );
}

/** max(z^T + bias, 0) (relu) or z^T + bias, for z [F, B] and bias [F]: [B, F]. */
export function transposeBiasAct(z: tf.Tensor2D, bias: tf.Tensor, relu: boolean): tf.Tensor2D {
  return tf.engine().runKernel(TRANSPOSE_BIAS_ACT, { z, bias } as never, { relu } as never) as tf.Tensor2D;
}
