// Run by conv-bn-kernels.test.ts in a child process: sets up the WASM backend with the thread
// count of argv[2], runs the convolution-gradient and batch-normalization kernels of this folder
// on fixed inputs large enough to run on the thread pool, then the same ops on
// tfjs-backend-cpu, and prints (JSON on stdout) the threads that ran, each result's largest
// difference from the CPU's relative to the CPU result's largest magnitude, and a sample of
// each result (every 7th value) for comparing thread counts, and whether the batch-norm SIMD
// loops ran (./batch-norm-simd.ts; KERASTORE_WASM_SIMD_BN=0 turns them off).
import { initBackend, registerGradients, tf, wasmThreading } from "../../node.js";
import { simdBatchNorm } from "./batch-norm-simd.js";
import { batchNormTrain } from "./batch-norm-train.js";
import { registerWasmKernels } from "./index.js";

const threads = Number(process.argv[2]);

const smooth = (shape: number[], seed: number): tf.Tensor => {
  const n = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5 + 0.2 * seed),
    shape,
  );
};

interface ConvCase {
  name: string;
  x: number[];
  filter: [number, number, number, number];
  strides: number;
  pad: "same" | "valid";
}

const CONV: ConvCase[] = [
  // The matrix product over a wide grid (./conv-filter-grad.ts); strided input gradient by phases.
  { name: "16x16x16 3x3 stride 1", x: [8, 16, 16, 16], filter: [3, 3, 16, 32], strides: 1, pad: "same" },
  { name: "16x16x16 3x3 stride 2", x: [8, 16, 16, 16], filter: [3, 3, 16, 32], strides: 2, pad: "same" },
  { name: "16x16x16 1x1 stride 2", x: [8, 16, 16, 16], filter: [1, 1, 16, 32], strides: 2, pad: "valid" },
  { name: "17x15x3 3x3 stride 2 valid", x: [8, 17, 15, 3], filter: [3, 3, 3, 32], strides: 2, pad: "valid" },
  // The one-convolution filter gradient (small map).
  { name: "6x6x16 3x3 stride 1", x: [8, 6, 6, 16], filter: [3, 3, 16, 32], strides: 1, pad: "same" },
];

function run(): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [i, c] of CONV.entries()) {
    const info = tf.backend_util.computeConv2DInfo(c.x as never, c.filter, c.strides, 1, c.pad);
    const x = smooth(c.x, i);
    const dy = smooth([c.x[0]!, info.outHeight, info.outWidth, c.filter[3]], i + 10);
    const filter = smooth(c.filter, i + 20);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: "NHWC" };
    out[`Conv2DBackpropFilter ${c.name}`] = tf
      .engine()
      .runKernel("Conv2DBackpropFilter", { x, dy } as never, { ...attrs, filterShape: c.filter } as never) as tf.Tensor;
    out[`Conv2DBackpropInput ${c.name}`] = tf
      .engine()
      .runKernel("Conv2DBackpropInput", { dy, filter } as never, { ...attrs, inputShape: c.x } as never) as tf.Tensor;
  }
  // Batch normalization in training mode: output, batch statistics, and the gradients of a
  // weighted sum of the output with respect to x, gamma and beta. The first shape under the
  // plain names; then rows not a multiple of the kernel's block, wider channels, and channels
  // not a multiple of 4 (the JavaScript loops).
  for (const [i, shape] of BN.entries()) Object.assign(out, batchNorm(shape, i === 0 ? "" : ` ${shape.join("x")}`));
  return out;
}

const BN = [
  [8, 24, 24, 16],
  [5, 13, 11, 12],
  [2, 9, 7, 40],
  [4, 10, 10, 6],
];

function batchNorm(shape: number[], suffix: string): Record<string, tf.Tensor> {
  const c = shape.at(-1)!;
  const x = tf.add(tf.mul(smooth(shape, 3), 2), 4);
  const gamma = tf.add(smooth([c], 4), 2) as tf.Tensor1D;
  const beta = smooth([c], 5) as tf.Tensor1D;
  const weight = smooth(shape, 6);
  const forward = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const fused = batchNormTrain(xx, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
    if (fused !== undefined) return fused;
    // The reference (tfjs-backend-cpu): moments and Keras's arrangement, differentiated by tfjs.
    const { mean, variance } = tf.moments(xx, [0, 1, 2]);
    const inv = tf.mul(tf.rsqrt(tf.add(variance, 1e-3)), g);
    return { y: tf.add(tf.mul(xx, inv), tf.sub(b, tf.mul(mean, inv))), mean, variance };
  };
  const r = forward(x, gamma, beta);
  const [dx, dg, db] = tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(forward(xx, g, b).y, weight)),
  )([x, gamma, beta]);
  const out: Record<string, tf.Tensor> = {};
  const parts = { y: r.y, mean: r.mean, variance: r.variance, dx: dx!, dgamma: dg!, dbeta: db! };
  for (const [k, t] of Object.entries(parts)) out[`batch norm ${k}${suffix}`] = t;
  return out;
}

await initBackend({ threads });
await registerGradients();
registerWasmKernels();
const threading = wasmThreading();
const simd = simdBatchNorm(tf.backend()) !== null;
const wasm = Object.fromEntries(Object.entries(run()).map(([k, t]) => [k, Array.from(t.dataSync())]));
await initBackend({ backend: "cpu" });
const cpu = Object.fromEntries(Object.entries(run()).map(([k, t]) => [k, Array.from(t.dataSync())]));
const errors: Record<string, number> = {};
const samples: Record<string, number[]> = {};
for (const [k, w] of Object.entries(wasm)) {
  const ref = cpu[k]!;
  let scale = 0;
  let diff = w.length === ref.length ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]!));
    diff = Math.max(diff, Math.abs(w[i]! - ref[i]!));
  }
  errors[k] = diff / scale;
  samples[k] = w.filter((_, i) => i % 7 === 0);
}
console.log(JSON.stringify({ threading, simd, errors, samples }));
