import * as tf from "@tensorflow/tfjs-core";
import { simdBatchNorm } from "./batch-norm-simd.js";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";

// `x * a + b` with `a` and `b` rows along x's last axis (batch normalization's
// `x * inv + shift`): one JavaScript pass over the WASM memory where the two row-broadcast
// ops (./broadcast-binary.ts) took two. Each element is f32(f32(x * a) + b), as the two ops
// round it: the same bits. With channels a multiple of 4 the pass is batch normalization's SIMD
// loop (./batch-norm-simd.ts, the same operations, so the same bits), about 4x faster. Its
// gradient is the two ops' gradients (registered below).

export const SCALE_SHIFT = "KerastoreScaleShift";

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Args = { inputs: { x: TensorInfo; a: TensorInfo; b: TensorInfo }; backend: KernelBackend };

/** The kernel: x [..., c] float32, a and b [c]. */
export function scaleShiftKernel({ inputs, backend }: Args): TensorInfo {
  const { x } = inputs;
  const out = (backend as HeapBackend).makeOutput(x.shape, "float32");
  const dst = heapF32(backend, out);
  const src = heapF32(backend, x);
  const a = heapF32(backend, inputs.a);
  const b = heapF32(backend, inputs.b);
  const c = a.length;
  const simd = c % 4 === 0 ? simdBatchNorm(backend) : null;
  if (simd !== null) {
    simd.scaleShift(src.byteOffset, dst.byteOffset, src.length, c, a.byteOffset, b.byteOffset);
    return out;
  }
  const f = Math.fround;
  for (let o = 0; o < src.length; o += c) for (let j = 0; j < c; j++) dst[o + j] = f(src[o + j]! * a[j]!) + b[j]!;
  return out;
}

let gradient = false;

/** Registers the kernel's gradient (once): dx = dy * a, da = sum(dy * x), db = sum(dy) over the leading axes. */
export function registerScaleShiftGradient(): void {
  if (gradient) return;
  gradient = true;
  tf.registerGradient({
    kernelName: SCALE_SHIFT,
    inputsToSave: ["x", "a"],
    gradFunc: (dy, saved) => {
      const [x, a] = saved as [tf.Tensor, tf.Tensor];
      const g = dy as tf.Tensor;
      const leading = Array.from({ length: g.rank - 1 }, (_, i) => i);
      return {
        x: () => tf.mul(g, a),
        a: () => tf.sum(tf.mul(g, x), leading),
        b: () => tf.sum(g, leading),
      };
    },
  });
}

/**
 * `x * a + b` for float32 `x` and rows `a`, `b` of its last axis: one kernel on WASM when
 * registered there, the two ops otherwise.
 */
export function scaleShift(x: tf.Tensor, a: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor {
  if (
    x.dtype === "float32" &&
    x.rank >= 2 &&
    a.size === x.shape[x.rank - 1] &&
    b.size === a.size &&
    tf.getBackend() === "wasm" &&
    tf.getKernel(SCALE_SHIFT, "wasm") !== undefined
  )
    return tf.engine().runKernel(SCALE_SHIFT, { x, a, b } as never) as tf.Tensor;
  return tf.add(tf.mul(x, a), b);
}
