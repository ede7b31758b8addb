import * as tf from "@tensorflow/tfjs-core";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { flushTiny } from "./subnormal.js";

// Categorical crossentropy from logits, the loss of a softmax output, as two kernels over the
// WASM memory: per row (the last axis) -sum(t * log_softmax(z)) forward, and
// dy * (softmax(z) * sum(t) - t) backward, in float64 rounded to float32 once. In place of the
// ~40 launches of logSoftmax (max, sub, exp, sum, log), the product with the targets, the sum
// and their autodiff: about 2 ms a step of 256 x 10 on one thread, nearly all launch overhead.
// The values are those of the ops within float32 rounding, not their bits, except that a
// gradient under 2^-100 in magnitude is set to zero (./subnormal.ts: a confident model's softmax
// puts e^-90 on the other classes, and the products such values feed run ~60x slower).

export const SOFTMAX_CE = "KerastoreSoftmaxCrossEntropy";
export const SOFTMAX_CE_GRAD = "KerastoreSoftmaxCrossEntropyGrad";

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Args = { inputs: Record<string, TensorInfo>; backend: KernelBackend };

/** Per row of z ([n, c]): its max and log(sum(exp(z - max))) into `out` (2 a row). */
function rowStats(z: Float32Array, n: number, c: number): Float64Array {
  const out = new Float64Array(2 * n);
  for (let r = 0, o = 0; r < n; r++, o += c) {
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < c; j++) m = Math.max(m, z[o + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(z[o + j]! - m);
    out[2 * r] = m;
    out[2 * r + 1] = Math.log(s);
  }
  return out;
}

/** loss [n] from logits z [n, c] and targets t [n, c]. */
export function softmaxCrossEntropyKernel({ inputs, backend }: Args): TensorInfo {
  const [n, c] = inputs.z!.shape as [number, number];
  const out = (backend as HeapBackend).makeOutput([n], "float32");
  const [z, t, loss] = [inputs.z!, inputs.t!, out].map((x) => heapF32(backend, x)) as Float32Array[];
  const stats = rowStats(z!, n, c);
  for (let r = 0, o = 0; r < n; r++, o += c) {
    const lse = stats[2 * r]! + stats[2 * r + 1]!;
    let sum = 0;
    for (let j = 0; j < c; j++) sum += t![o + j]! * (lse - z![o + j]!);
    loss![r] = sum;
  }
  return out;
}

/** dz [n, c] from z, t and dy [n]. */
export function softmaxCrossEntropyGradKernel({ inputs, backend }: Args): TensorInfo {
  const [n, c] = inputs.z!.shape as [number, number];
  const out = (backend as HeapBackend).makeOutput([n, c], "float32");
  const [z, t, dy, dz] = [inputs.z!, inputs.t!, inputs.dy!, out].map((x) => heapF32(backend, x)) as Float32Array[];
  const stats = rowStats(z!, n, c);
  for (let r = 0, o = 0; r < n; r++, o += c) {
    const m = stats[2 * r]!;
    const ls = stats[2 * r + 1]!;
    let tsum = 0;
    for (let j = 0; j < c; j++) tsum += t![o + j]!;
    const g = dy![r]!;
    for (let j = 0; j < c; j++) dz![o + j] = flushTiny(g * (Math.exp(z![o + j]! - m - ls) * tsum - t![o + j]!));
  }
  return out;
}

/** Whether {@link softmaxCrossEntropy} runs as these kernels (the WASM backend, float32). */
export function canFuseSoftmaxCrossEntropy(t: tf.Tensor, z: tf.Tensor): boolean {
  return (
    tf.getBackend() === "wasm" &&
    z.dtype === "float32" &&
    t.dtype === "float32" &&
    z.rank >= 1 &&
    t.shape.length === z.shape.length &&
    t.shape.every((d, i) => d === z.shape[i]) &&
    tf.getKernel(SOFTMAX_CE, "wasm") !== undefined
  );
}

/**
 * -sum(t * log_softmax(z), -1) per sample (shape: z's without its last axis), differentiable in
 * z (t, the targets, gets no gradient).
 */
export function softmaxCrossEntropy(t: tf.Tensor, z: tf.Tensor): tf.Tensor {
  const c = z.shape[z.rank - 1]!;
  const lead = z.shape.slice(0, -1);
  const n = lead.reduce((a, d) => a * d, 1);
  const t2 = tf.reshape(t, [n, c]);
  const op = tf.customGrad(((z2: tf.Tensor, save: tf.GradSaveFunc) => {
    // The targets too: the loss's scope frees t2 before the gradient runs.
    save([z2, t2]);
    return {
      value: tf.engine().runKernel(SOFTMAX_CE, { z: z2, t: t2 } as never) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(SOFTMAX_CE_GRAD, { z: saved[0]!, t: saved[1]!, dy } as never) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.reshape(op(tf.reshape(z, [n, c])), lead);
}
