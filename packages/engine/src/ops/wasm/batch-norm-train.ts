import * as tf from "@tensorflow/tfjs-core";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";

// Batch normalization in training mode, channels last, as two kernels written in JavaScript
// over the WASM memory: forward in two passes over x (per-channel sums, then the output), the
// gradient in two passes over x and dy (per-channel sums, then dx). Built from tfjs kernels
// the same step took ~12 passes forward (staged means, the squared deviations, the
// scale-and-shift) and ~25 backward (their gradients). Sums run in float64, so the batch mean
// and variance are nearer the exact ones than the float32 reductions they replace.
//
// y = x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + epsilon) (Keras's
// arrangement, rounded as tfjs's kernels round it), the variance biased (over the batch).

export const BATCH_NORM_TRAIN = "KerastoreBatchNormTrain";
export const BATCH_NORM_TRAIN_GRAD = "KerastoreBatchNormTrainGrad";

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Attrs = { epsilon: number };
type ForwardArgs = {
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  attrs: Attrs;
  backend: KernelBackend;
};

const f = Math.fround;
// Rows per block: each channel's loop runs over a block (kept in the first-level cache) with
// its sums in registers.
const BLOCK = 128;

/** Forward: outputs y (x's shape), the batch mean and the biased batch variance ([channels]). */
export function batchNormTrainKernel({ inputs, attrs, backend }: ForwardArgs): TensorInfo[] {
  const { x } = inputs;
  const c = x.shape[x.shape.length - 1]!;
  const heap = backend as HeapBackend;
  const y = heap.makeOutput(x.shape, "float32");
  const meanOut = heap.makeOutput([c], "float32");
  const varOut = heap.makeOutput([c], "float32");
  const xv = heapF32(backend, x);
  const count = xv.length / c;
  // Sums of deviations from each channel's first value (a pivot: no cancellation when the
  // mean is large against the spread).
  const pivot = new Float64Array(c);
  const s = new Float64Array(c);
  const q = new Float64Array(c);
  for (let j = 0; j < c; j++) pivot[j] = xv[j]!;
  for (let b0 = 0; b0 < xv.length; b0 += BLOCK * c) {
    const b1 = Math.min(xv.length, b0 + BLOCK * c);
    for (let j = 0; j < c; j++) {
      const p = pivot[j]!;
      let sj = 0;
      let qj = 0;
      for (let o = b0 + j; o < b1; o += c) {
        const d = xv[o]! - p;
        sj += d;
        qj += d * d;
      }
      s[j] = s[j]! + sj;
      q[j] = q[j]! + qj;
    }
  }
  const mean = heapF32(backend, meanOut);
  const variance = heapF32(backend, varOut);
  const gamma = heapF32(backend, inputs.gamma);
  const beta = heapF32(backend, inputs.beta);
  const inv = new Float32Array(c);
  const shift = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const m = s[j]! / count;
    mean[j] = pivot[j]! + m;
    variance[j] = Math.max(0, q[j]! / count - m * m);
    inv[j] = f(f(1 / Math.sqrt(f(variance[j]! + attrs.epsilon))) * gamma[j]!);
    shift[j] = f(beta[j]! - f(mean[j]! * inv[j]!));
  }
  const yv = heapF32(backend, y);
  for (let b0 = 0; b0 < xv.length; b0 += BLOCK * c) {
    const b1 = Math.min(xv.length, b0 + BLOCK * c);
    for (let j = 0; j < c; j++) {
      const a = inv[j]!;
      const t = shift[j]!;
      for (let o = b0 + j; o < b1; o += c) yv[o] = f(xv[o]! * a) + t;
    }
  }
  return [y, meanOut, varOut];
}

type GradArgs = {
  inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo };
  attrs: Attrs;
  backend: KernelBackend;
};

/**
 * Gradient: dx, dgamma and dbeta from dy and the forward's x, gamma, mean and variance (the
 * mean and variance as functions of x: the full gradient of the batch statistics).
 */
export function batchNormTrainGradKernel({ inputs, attrs, backend }: GradArgs): TensorInfo[] {
  const { x } = inputs;
  const c = x.shape[x.shape.length - 1]!;
  const heap = backend as HeapBackend;
  const dxOut = heap.makeOutput(x.shape, "float32");
  const dgOut = heap.makeOutput([c], "float32");
  const dbOut = heap.makeOutput([c], "float32");
  const xv = heapF32(backend, x);
  const dyv = heapF32(backend, inputs.dy);
  const mean = heapF32(backend, inputs.mean);
  const variance = heapF32(backend, inputs.variance);
  const gamma = heapF32(backend, inputs.gamma);
  const count = xv.length / c;
  const m32 = new Float32Array(c);
  for (let j = 0; j < c; j++) m32[j] = mean[j]!;
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  for (let b0 = 0; b0 < xv.length; b0 += BLOCK * c) {
    const b1 = Math.min(xv.length, b0 + BLOCK * c);
    for (let j = 0; j < c; j++) {
      const m = m32[j]!;
      let sj = 0;
      let tj = 0;
      for (let o = b0 + j; o < b1; o += c) {
        const g = dyv[o]!;
        sj += g;
        tj += g * (xv[o]! - m);
      }
      sdy[j] = sdy[j]! + sj;
      sdyx[j] = sdyx[j]! + tj;
    }
  }
  // dx = a * dy + b * x + k per channel: a = gamma * r, b = -gamma * r^3 * sum(dy * (x - mean)) / n,
  // k = -gamma * r * sum(dy) / n - b * mean, with r = 1 / sqrt(variance + epsilon).
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  const k = new Float32Array(c);
  const dgamma = heapF32(backend, dgOut);
  const dbeta = heapF32(backend, dbOut);
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt(variance[j]! + attrs.epsilon);
    const gr = gamma[j]! * r;
    const bj = (-gr * r * r * sdyx[j]!) / count;
    a[j] = gr;
    b[j] = bj;
    k[j] = (-gr * sdy[j]!) / count - bj * mean[j]!;
    dgamma[j] = sdyx[j]! * r;
    dbeta[j] = sdy[j]!;
  }
  const dx = heapF32(backend, dxOut);
  for (let b0 = 0; b0 < xv.length; b0 += BLOCK * c) {
    const b1 = Math.min(xv.length, b0 + BLOCK * c);
    for (let j = 0; j < c; j++) {
      const [aj, bj, kj] = [a[j]!, b[j]!, k[j]!];
      for (let o = b0 + j; o < b1; o += c) dx[o] = aj * dyv[o]! + bj * xv[o]! + kj;
    }
  }
  return [dxOut, dgOut, dbOut];
}

let gradient = false;

/** Registers the forward kernel's gradient (once): the gradient kernel, for x, gamma and beta. */
export function registerBatchNormTrainGradient(): void {
  if (gradient) return;
  gradient = true;
  tf.registerGradient({
    kernelName: BATCH_NORM_TRAIN,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      // The mean and variance outputs only move the layer's moving statistics: no gradient.
      const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
      const [x, gamma, mean, variance] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      // One kernel for all three; the backward pass's scope frees any not asked for.
      const [dx, dgamma, dbeta] = tf
        .engine()
        .runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, gamma, mean, variance } as never, attrs as never) as tf.Tensor[];
      return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
    },
  });
}

/**
 * Batch normalization of `x` (float32, channels last) with the batch's statistics: the
 * normalized output and the batch mean and biased variance per channel. Runs the fused kernel
 * when registered for the current backend (WASM); undefined otherwise.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined {
  if (
    x.dtype !== "float32" ||
    x.rank < 2 ||
    x.size === 0 ||
    tf.getBackend() !== "wasm" ||
    tf.getKernel(BATCH_NORM_TRAIN, "wasm") === undefined
  )
    return undefined;
  const [y, mean, variance] = tf.engine().runKernel(
    BATCH_NORM_TRAIN,
    { x, gamma, beta } as never,
    {
      epsilon,
    } as never,
  ) as tf.Tensor[];
  return { y: y!, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
