import * as tf from "@tensorflow/tfjs-core";
import { scratchShape, scratchViews, simdBatchNorm } from "./batch-norm-simd.js";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { reluGradInto } from "./relu-train.js";

// Batch normalization in training mode, channels last, as two kernels written in JavaScript
// over the WASM memory: forward in two passes over x (per-channel sums, then the output), the
// gradient in two passes over x and dy (per-channel sums, then dx). Built from tfjs kernels
// the same step took ~12 passes forward (staged means, the squared deviations, the
// scale-and-shift) and ~25 backward (their gradients). Sums run in float64, so the batch mean
// and variance are nearer the exact ones than the float32 reductions they replace.
//
// y = x * inv + (beta - mean * inv), inv = gamma / sqrt(variance + epsilon) (Keras's
// arrangement, rounded as tfjs's kernels round it), the variance biased (over the batch).
// With `relu` (a ReLU taking only the normalization's output, ../../relu-fusion.ts), the forward
// writes relu(y), and the gradient first takes dy through the ReLU (dy * step(y), flushed below
// 2^-100: ./relu-train.ts's SIMD pass) into dx's memory, then runs its two passes on that: no
// ReLU pass forward, no separate gradient tensor backward. (Taking the ReLU's gradient inside
// the two passes, recomputing y from x, made them twice as slow: their loops run short of
// registers.)

export const BATCH_NORM_TRAIN = "KerastoreBatchNormTrain";
/** The same kernel with `relu` set: its own name, so that only it keeps its output for the gradient. */
export const BATCH_NORM_RELU_TRAIN = "KerastoreBatchNormReluTrain";
export const BATCH_NORM_TRAIN_GRAD = "KerastoreBatchNormTrainGrad";

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Attrs = { epsilon: number; relu?: boolean; momentum?: number };
type ForwardArgs = {
  /** With the moving statistics (and the `momentum` attribute), it outputs their new values too. */
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo; movingMean?: TensorInfo; movingVariance?: TensorInfo };
  attrs: Attrs;
  backend: KernelBackend;
};

const f = Math.fround;
// Rows per block: each channel's loop runs over a block (kept in the first-level cache) with
// its sums in registers.
const BLOCK = 128;

/**
 * Forward: outputs y (x's shape), the batch mean and the biased batch variance ([channels]);
 * given the moving statistics, their new values (moving * momentum + batch * (1 - momentum)).
 */
export function batchNormTrainKernel({ inputs, attrs, backend }: ForwardArgs): TensorInfo[] {
  const { x } = inputs;
  const c = x.shape[x.shape.length - 1]!;
  const heap = backend as HeapBackend;
  const y = heap.makeOutput(x.shape, "float32");
  const meanOut = heap.makeOutput([c], "float32");
  const varOut = heap.makeOutput([c], "float32");
  const moving = inputs.movingMean !== undefined && inputs.movingVariance !== undefined;
  const movingOut = moving ? [heap.makeOutput([c], "float32"), heap.makeOutput([c], "float32")] : [];
  // The SIMD loops (./batch-norm-simd.ts) keep their sums and coefficients in a scratch tensor.
  const simd = c % 4 === 0 ? simdBatchNorm(backend) : null;
  const scratch = simd === null ? undefined : heap.makeOutput(scratchShape(c), "float32");
  const area = scratch === undefined ? undefined : scratchViews(backend, scratch, c);
  const xv = heapF32(backend, x);
  const count = xv.length / c;
  // Sums of deviations from each channel's first value (a pivot: no cancellation when the
  // mean is large against the spread).
  const pivot = area?.f64.subarray(0, c) ?? new Float64Array(c);
  const s = area?.f64.subarray(c, 2 * c) ?? new Float64Array(c);
  const q = area?.f64.subarray(2 * c, 3 * c) ?? new Float64Array(c);
  s.fill(0);
  q.fill(0);
  for (let j = 0; j < c; j++) pivot[j] = xv[j]!;
  if (simd !== null && area !== undefined)
    simd.stats(xv.byteOffset, 0, count, c, area.address, area.address + 8 * c, BLOCK);
  else sumDeviations(xv, c, pivot, s, q);
  const mean = heapF32(backend, meanOut);
  const variance = heapF32(backend, varOut);
  const gamma = heapF32(backend, inputs.gamma);
  const beta = heapF32(backend, inputs.beta);
  const inv = area?.f32.subarray(6 * c, 7 * c) ?? new Float32Array(c);
  const shift = area?.f32.subarray(7 * c, 8 * c) ?? new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const m = s[j]! / count;
    mean[j] = pivot[j]! + m;
    variance[j] = Math.max(0, q[j]! / count - m * m);
  }
  coefficients(mean, variance, gamma, beta, attrs.epsilon, inv, shift);
  if (moving) {
    // As the layer's ops round it: f32(f32(moving * k) + f32(batch * f32(1 - k))).
    const k = f(attrs.momentum ?? 0.99);
    const k1 = f(1 - (attrs.momentum ?? 0.99));
    const pairs: [TensorInfo, Float32Array, TensorInfo][] = [
      [inputs.movingMean!, mean, movingOut[0]!],
      [inputs.movingVariance!, variance, movingOut[1]!],
    ];
    for (const [old, batch, out] of pairs) {
      const [ov, nv] = [heapF32(backend, old), heapF32(backend, out)];
      for (let j = 0; j < c; j++) nv[j] = f(f(ov[j]! * k) + f(batch[j]! * k1));
    }
  }
  const yv = heapF32(backend, y);
  if (simd !== null && area !== undefined && scratch !== undefined) {
    const run = attrs.relu === true ? simd.scaleShiftRelu : simd.scaleShift;
    run(xv.byteOffset, yv.byteOffset, xv.length, c, area.address + 24 * c, area.address + 28 * c);
    backend.disposeData(scratch.dataId);
  } else normalize(xv, yv, c, inv, shift, attrs.relu === true);
  return [y, meanOut, varOut, ...movingOut];
}

/** {@link BATCH_NORM_RELU_TRAIN}: the forward kernel with `relu` set. */
export function batchNormReluTrainKernel(args: ForwardArgs): TensorInfo[] {
  return batchNormTrainKernel({ ...args, attrs: { ...args.attrs, relu: true } });
}

/** y = x * inv + shift's coefficients per channel (float32, as tfjs's ops round them). */
function coefficients(
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
  inv: Float32Array,
  shift: Float32Array,
): void {
  for (let j = 0; j < mean.length; j++) {
    inv[j] = f(f(1 / Math.sqrt(f(variance[j]! + epsilon))) * gamma[j]!);
    shift[j] = f(beta[j]! - f(mean[j]! * inv[j]!));
  }
}

/** relu(v) as WebAssembly's f32x4.max(v, 0) computes it: NaN kept, -0 to 0. */
const relu = (v: number): number => (v > 0 || Number.isNaN(v) ? v : 0);

/** The JavaScript pass of sums: s += x - pivot, q += (x - pivot)^2 per channel. */
function sumDeviations(xv: Float32Array, c: number, pivot: Float64Array, s: Float64Array, q: Float64Array): void {
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
}

/** The JavaScript pass of the output: y = x * inv + shift per channel (then relu). */
function normalize(
  xv: Float32Array,
  yv: Float32Array,
  c: number,
  inv: Float32Array,
  shift: Float32Array,
  withRelu: boolean,
): void {
  for (let b0 = 0; b0 < xv.length; b0 += BLOCK * c) {
    const b1 = Math.min(xv.length, b0 + BLOCK * c);
    for (let j = 0; j < c; j++) {
      const a = inv[j]!;
      const t = shift[j]!;
      for (let o = b0 + j; o < b1; o += c) yv[o] = f(xv[o]! * a) + t;
      if (withRelu) for (let o = b0 + j; o < b1; o += c) yv[o] = relu(yv[o]!);
    }
  }
}

type GradArgs = {
  inputs: {
    dy: TensorInfo;
    x: TensorInfo;
    gamma: TensorInfo;
    mean: TensorInfo;
    variance: TensorInfo;
    /** The forward's output (relu of the normalization), with `relu` only. */
    y?: TensorInfo;
  };
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
  const simd = c % 4 === 0 ? simdBatchNorm(backend) : null;
  const scratch = simd === null ? undefined : heap.makeOutput(scratchShape(c), "float32");
  const area = scratch === undefined ? undefined : scratchViews(backend, scratch, c);
  const xv = heapF32(backend, x);
  let dyv = heapF32(backend, inputs.dy);
  const dx = heapF32(backend, dxOut);
  const mean = heapF32(backend, inputs.mean);
  const variance = heapF32(backend, inputs.variance);
  const gamma = heapF32(backend, inputs.gamma);
  const count = xv.length / c;
  // With a ReLU after: its gradient into dx's memory, the gradient the passes below read.
  if (attrs.relu === true && inputs.y !== undefined) {
    reluGradInto(backend, dyv, heapF32(backend, inputs.y), dx);
    dyv = dx;
  }
  // The mean as float32 values (the SIMD loop reads them as float64: the same values).
  const m32 = area?.f64.subarray(0, c) ?? new Float32Array(c);
  for (let j = 0; j < c; j++) m32[j] = mean[j]!;
  const sdy = area?.f64.subarray(c, 2 * c) ?? new Float64Array(c);
  const sdyx = area?.f64.subarray(2 * c, 3 * c) ?? new Float64Array(c);
  sdy.fill(0);
  sdyx.fill(0);
  if (simd !== null && area !== undefined)
    simd.gradSums(dyv.byteOffset, xv.byteOffset, count, c, area.address, area.address + 8 * c, BLOCK);
  else sumGradients(xv, dyv, c, m32, sdy, sdyx);
  // dx = a * dy + b * x + k per channel: a = gamma * r, b = -gamma * r^3 * sum(dy * (x - mean)) / n,
  // k = -gamma * r * sum(dy) / n - b * mean, with r = 1 / sqrt(variance + epsilon). The SIMD
  // loop reads them as float64 (the float32 values of the JavaScript loop).
  const a = area?.f64.subarray(3 * c, 4 * c) ?? new Float32Array(c);
  const b = area?.f64.subarray(4 * c, 5 * c) ?? new Float32Array(c);
  const k = area?.f64.subarray(5 * c, 6 * c) ?? new Float32Array(c);
  const dgamma = heapF32(backend, dgOut);
  const dbeta = heapF32(backend, dbOut);
  for (let j = 0; j < c; j++) {
    const r = 1 / Math.sqrt(variance[j]! + attrs.epsilon);
    const gr = gamma[j]! * r;
    const bj = (-gr * r * r * sdyx[j]!) / count;
    a[j] = f(gr);
    b[j] = f(bj);
    k[j] = f((-gr * sdy[j]!) / count - bj * mean[j]!);
    dgamma[j] = sdyx[j]! * r;
    dbeta[j] = sdy[j]!;
  }
  if (simd !== null && area !== undefined && scratch !== undefined) {
    const at = area.address;
    simd.dx(dyv.byteOffset, xv.byteOffset, dx.byteOffset, xv.length, c, at + 24 * c, at + 32 * c, at + 40 * c);
    backend.disposeData(scratch.dataId);
  } else {
    for (let b0 = 0; b0 < xv.length; b0 += BLOCK * c) {
      const b1 = Math.min(xv.length, b0 + BLOCK * c);
      for (let j = 0; j < c; j++) {
        const [aj, bj, kj] = [a[j]!, b[j]!, k[j]!];
        for (let o = b0 + j; o < b1; o += c) dx[o] = aj * dyv[o]! + bj * xv[o]! + kj;
      }
    }
  }
  return [dxOut, dgOut, dbOut];
}

/** The JavaScript pass of the gradient's sums: sdy += dy, sdyx += dy * (x - mean) per channel. */
function sumGradients(
  xv: Float32Array,
  dyv: Float32Array,
  c: number,
  m32: Float32Array | Float64Array,
  sdy: Float64Array,
  sdyx: Float64Array,
): void {
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
}

let gradient = false;

/** Registers the forward kernels' gradient (once): the gradient kernel, for x, gamma and beta. */
export function registerBatchNormTrainGradient(): void {
  if (gradient) return;
  gradient = true;
  for (const kernelName of [BATCH_NORM_TRAIN, BATCH_NORM_RELU_TRAIN]) {
    const relu = kernelName === BATCH_NORM_RELU_TRAIN;
    tf.registerGradient({
      kernelName,
      inputsToSave: ["x", "gamma"],
      // With the ReLU, y (relu's output) for its steps: the tape keeps it anyway for the layer
      // after. Without, not: y would outlive the forward pass where nothing else keeps it.
      outputsToSave: [relu, true, true],
      gradFunc: (dys, saved, attrs) => {
        // The mean and variance outputs only move the layer's moving statistics: no gradient.
        const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
        const [x, gamma, ...outs] = saved as tf.Tensor[];
        const [y, mean, variance] = relu ? outs : [undefined, ...outs];
        const inputs = { dy, x, gamma, mean, variance, ...(relu ? { y } : {}) };
        // One kernel for all three; the backward pass's scope frees any not asked for.
        const [dx, dgamma, dbeta] = tf
          .engine()
          .runKernel(BATCH_NORM_TRAIN_GRAD, inputs as never, { ...attrs, relu } as never) as tf.Tensor[];
        // The moving statistics (inputs when the kernel updates them) take no gradient.
        const none = () => tf.zeros(mean!.shape);
        return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta!, movingMean: none, movingVariance: none };
      },
    });
  }
}

/**
 * Batch normalization of `x` (float32, channels last) with the batch's statistics: the
 * normalized output (with `relu`, relu of it) and the batch mean and biased variance per
 * channel; given `moving` statistics, their new values too (one kernel, where the update
 * took six small ones). Runs the fused kernel when registered for the current backend (WASM);
 * undefined otherwise.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu = false,
  moving?: { mean: tf.Tensor; variance: tf.Tensor; momentum: number },
):
  | {
      y: tf.Tensor;
      mean: tf.Tensor1D;
      variance: tf.Tensor1D;
      movingMean?: tf.Tensor1D;
      movingVariance?: tf.Tensor1D;
    }
  | undefined {
  if (
    x.dtype !== "float32" ||
    x.rank < 2 ||
    x.size === 0 ||
    tf.getBackend() !== "wasm" ||
    tf.getKernel(relu ? BATCH_NORM_RELU_TRAIN : BATCH_NORM_TRAIN, "wasm") === undefined
  )
    return undefined;
  const stats =
    moving !== undefined && moving.mean.dtype === "float32" && moving.variance.dtype === "float32"
      ? { movingMean: moving.mean, movingVariance: moving.variance }
      : {};
  const attrs = { epsilon, relu, ...(moving !== undefined ? { momentum: moving.momentum } : {}) };
  const [y, mean, variance, movingMean, movingVariance] = tf
    .engine()
    .runKernel(
      relu ? BATCH_NORM_RELU_TRAIN : BATCH_NORM_TRAIN,
      { x, gamma, beta, ...stats } as never,
      attrs as never,
    ) as tf.Tensor[];
  return {
    y: y!,
    mean: mean as tf.Tensor1D,
    variance: variance as tf.Tensor1D,
    ...(movingMean !== undefined ? { movingMean: movingMean as tf.Tensor1D } : {}),
    ...(movingVariance !== undefined ? { movingVariance: movingVariance as tf.Tensor1D } : {}),
  };
}
