import * as tf from "@tensorflow/tfjs-core";
import { columnSums } from "./column-reduce.js";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";

// Global average pooling, channels last ([batch, ...positions, channels] to [batch, channels]),
// as one pass each way. WASM's Mean over the middle axes transposes them last first (two passes
// and a copy), and tfjs's Mean gradient is two more passes (dy times ones, then over the count).
// Forward: each sample's column sums, four channels a SIMD vector (./column-reduce.ts), in
// float32 in the positions' order, then over the count: WASM's Mean's values. Gradient: each
// position gets dy / count, as tfjs's gradient computes it. The same bits both ways.

export const GLOBAL_AVG_POOL = "KerastoreGlobalAvgPool";
export const GLOBAL_AVG_POOL_GRAD = "KerastoreGlobalAvgPoolGrad";

type Backend = KernelBackend & { makeOutput(shape: number[], dtype: tf.DataType): TensorInfo };

/** x [batch, ...positions, c] to [batch, c]: the mean over the positions. */
export function globalAvgPoolKernel({ inputs, backend }: { inputs: { x: TensorInfo }; backend: KernelBackend }) {
  const { x } = inputs;
  const [batch, c] = [x.shape[0]!, x.shape[x.shape.length - 1]!];
  const positions = x.shape.slice(1, -1).reduce((a, d) => a * d, 1);
  const out = (backend as Backend).makeOutput([batch, c], "float32");
  const [src, dst] = [heapF32(backend, x), heapF32(backend, out)];
  for (let b = 0; b < batch; b++) {
    const acc = dst.subarray(b * c, (b + 1) * c);
    columnSums(backend, src.subarray(b * positions * c, (b + 1) * positions * c), acc, positions, c);
    for (let j = 0; j < c; j++) acc[j] = acc[j]! / positions;
  }
  return out;
}

/** dy [batch, c] to dx of `shape` ([batch, ...positions, c]): dy / count at every position. */
export function globalAvgPoolGradKernel({
  inputs,
  attrs,
  backend,
}: {
  inputs: { dy: TensorInfo };
  attrs: { shape: number[] };
  backend: KernelBackend;
}): TensorInfo {
  const { shape } = attrs;
  const c = shape[shape.length - 1]!;
  const positions = shape.slice(1, -1).reduce((a, d) => a * d, 1);
  const out = (backend as Backend).makeOutput(shape, "float32");
  const [dy, dx] = [heapF32(backend, inputs.dy), heapF32(backend, out)];
  for (let b = 0, o = 0; b < shape[0]!; b++, o += positions * c) {
    for (let j = 0; j < c; j++) dx[o + j] = dy[b * c + j]! / positions;
    // The first position's row copied over the rest, doubling the copied run each time.
    for (let done = 1; done < positions; done *= 2) {
      const n = Math.min(done, positions - done);
      dx.copyWithin(o + done * c, o, o + n * c);
    }
  }
  return out;
}

let gradient = false;

/** Registers the forward kernel's gradient (once). */
export function registerGlobalAvgPoolGradient(): void {
  if (gradient) return;
  gradient = true;
  tf.registerGradient({
    kernelName: GLOBAL_AVG_POOL,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return {
        x: () =>
          tf
            .engine()
            .runKernel(GLOBAL_AVG_POOL_GRAD, { dy: dy as tf.Tensor }, { shape: x.shape } as never) as tf.Tensor,
      };
    },
  });
}

/**
 * The mean of float32 `x` ([batch, ...positions, channels], rank >= 3) over its positions, as
 * [batch, channels]: one kernel on WASM when registered there; null elsewhere.
 */
export function globalAvgPool(x: tf.Tensor): tf.Tensor | null {
  if (
    x.dtype !== "float32" ||
    x.rank < 3 ||
    x.size === 0 ||
    tf.getBackend() !== "wasm" ||
    tf.getKernel(GLOBAL_AVG_POOL, "wasm") === undefined
  )
    return null;
  return tf.engine().runKernel(GLOBAL_AVG_POOL, { x }) as tf.Tensor;
}
