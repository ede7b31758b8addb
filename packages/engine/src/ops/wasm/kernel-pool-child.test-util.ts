// Run by kernel-pool.test.ts in a child process: sets up the WASM backend with the thread count
// of argv[2] and, for mode argv[3]:
// - "kernels": runs each kernel the pool splits (MaxPool's gradient, ReLU + bias gradient, the
//   filter gradient's placement, the small-channel filter gradient, stride-1 convolutions on our
//   product forward and backward) on fixed inputs and prints
//   (JSON, last line of stdout) the pool's threads, how many calls ran on it, and per result a
//   hash of its bytes and a sample (every 7th value);
// - "throw": a part on the worker that traps, then a call after it;
// - "timeout": a worker part outlasting KERASTORE_KERNEL_POOL_TIMEOUT_MS;
// - "terminated": a call after the worker was terminated;
// - "dispose": whether disposing the backend stopped the pool;
// each printing what the calls threw (name, code, message, milliseconds) and what came after.
import { createHash } from "node:crypto";
import { initBackend, registerGradients, tf } from "../../node.js";
import { registerWasmKernels } from "./index.js";
import { kernelPool, kernelPoolCalls, poolThreads, runParts } from "./kernel-pool.js";
import { MAX_POOL_GRAD_MODULE, simdMaxPoolGrad } from "./max-pool-grad-simd.js";

const [threads, mode] = [Number(process.argv[2]), process.argv[3] ?? "kernels"];

const smooth = (shape: number[], seed: number): tf.Tensor => {
  const n = shape.reduce((a, d) => a * d, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 1.5 + 0.2 * seed),
    shape,
  );
};

function digest(t: tf.Tensor): { hash: string; sample: number[] } {
  const v = t.dataSync() as Float32Array;
  const hash = createHash("sha256")
    .update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))
    .digest("hex");
  return { hash, sample: Array.from(v.filter((_, i) => i % 7 === 0)) };
}

function kernels(): Record<string, { hash: string; sample: number[] }> {
  const out: Record<string, { hash: string; sample: number[] }> = {};
  // MaxPool's gradient: windows that tile the image, an image with an uncovered edge row and
  // column (7 -> 3), windows apart (stride 3 > pool 2), wide channels.
  const pools: [number[], number, number][] = [
    [[32, 28, 28, 32], 2, 2],
    [[25, 7, 7, 128], 2, 2],
    [[3, 9, 11, 8], 2, 3],
    [[5, 6, 6, 4], 2, 2],
  ];
  for (const [i, [shape, size, stride]] of pools.entries()) {
    const x = smooth(shape, i);
    const g = tf.grad((v: tf.Tensor) =>
      tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, "valid"), smooth([1, 1, 1, shape[3]!], 9))),
    );
    out[`MaxPoolGrad ${shape.join("x")} pool ${size} stride ${stride}`] = digest(g(x));
  }
  // ReLU + bias gradient: one block (under 2^20 values), 3 blocks, 2 blocks over 24 channels.
  for (const [i, shape] of [
    [32, 28, 28, 32],
    [64, 28, 28, 32],
    [50, 30, 30, 24],
    [7, 5, 3, 12],
    [4, 3, 3, 4],
  ].entries()) {
    const dy = smooth(shape, i + 20);
    const y = tf.relu(smooth(shape, i + 30));
    const [dz, db] = tf.engine().runKernel("KerastoreReluBiasGrad", { dy, y } as never) as tf.Tensor[];
    out[`ReluBiasGrad dz ${shape.join("x")}`] = digest(dz!);
    out[`ReluBiasGrad db ${shape.join("x")}`] = digest(db!);
  }
  // ReLU's gradient and Add + ReLU (ResNet): 64-byte ranges, a length not a multiple of 4.
  for (const [i, shape] of [
    [32, 32, 32, 32],
    [5, 7, 9, 3],
  ].entries()) {
    const [a, b] = [smooth(shape, i + 60), smooth(shape, i + 70)];
    const dx = tf.engine().runKernel("KerastoreReluGrad", { dy: a, t: b } as never) as tf.Tensor;
    out[`ReluGrad ${shape.join("x")}`] = digest(dx);
    const y = tf.engine().runKernel("KerastoreAddRelu", { a, b } as never) as tf.Tensor;
    out[`AddRelu ${shape.join("x")}`] = digest(y);
  }
  // Filter gradients: few input channels (acc16 and acc4 units), the placement's rows (strides 1 and 2).
  const convs: [number[], number[], number, "same" | "valid"][] = [
    [[32, 28, 28, 1], [3, 3, 1, 32], 1, "same"],
    [[96, 28, 28, 1], [3, 3, 1, 32], 1, "same"],
    [[6, 12, 10, 3], [3, 3, 3, 20], 1, "valid"],
    [[32, 14, 14, 32], [3, 3, 32, 64], 1, "same"],
    [[128, 14, 14, 32], [3, 3, 32, 64], 1, "same"],
    [[8, 13, 11, 8], [3, 3, 8, 16], 2, "same"],
  ];
  for (const [i, [xs, fs, strides, pad]] of convs.entries()) {
    const info = tf.backend_util.computeConv2DInfo(xs as never, fs as never, strides, 1, pad);
    const x = smooth(xs, i + 40);
    const dy = smooth([xs[0]!, info.outHeight, info.outWidth, fs[3]!], i + 50);
    const dw = tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x, dy } as never,
      {
        strides,
        pad,
        dataFormat: "NHWC",
        filterShape: fs,
      } as never,
    ) as tf.Tensor;
    out[`Conv2DBackpropFilter ${xs.join("x")} -> ${fs[3]} stride ${strides} ${pad}`] = digest(dw);
  }
  // Stride-1 convolutions on our product (./conv-gemm.ts), forward and input gradient.
  process.env.KERASTORE_WASM_SIMD_CONV = "1";
  for (const [i, [xs, fs]] of [
    [
      [32, 14, 14, 32],
      [3, 3, 32, 64],
    ],
    [
      [9, 7, 7, 64],
      [3, 3, 64, 128],
    ],
  ].entries()) {
    const [x, filter, bias] = [smooth(xs!, i + 80), smooth(fs!, i + 81), smooth([fs![3]!], i + 82)];
    const y = tf.engine().runKernel(
      "KerastoreConv2DBiasRelu",
      { x, filter, bias } as never,
      {
        strides: [1, 1],
        pad: "same",
      } as never,
    ) as tf.Tensor;
    out[`KerastoreConv2DBiasRelu ${xs!.join("x")} -> ${fs![3]}`] = digest(y);
    const dx = tf.engine().runKernel(
      "Conv2DBackpropInput",
      { dy: smooth(y.shape, i + 83), filter } as never,
      {
        strides: [1, 1],
        pad: "same",
        dataFormat: "NHWC",
        inputShape: xs,
      } as never,
    ) as tf.Tensor;
    out[`Conv2DBackpropInput ${xs!.join("x")} -> ${fs![3]}`] = digest(dx);
  }
  delete process.env.KERASTORE_WASM_SIMD_CONV;
  return out;
}

type Outcome = { name: string; code?: string; message: string; ms: number } | "ok";

function attempt(run: () => void): Outcome {
  const start = Date.now();
  try {
    run();
    return "ok";
  } catch (error) {
    const e = error as { name: string; code?: string; message: string };
    return {
      name: e.name,
      ...(e.code !== undefined ? { code: e.code } : {}),
      message: e.message,
      ms: Date.now() - start,
    };
  }
}

async function main(): Promise<void> {
  await initBackend({ threads });
  registerWasmKernels();
  await registerGradients();
  const backend = tf.backend();
  if (mode === "kernels") {
    const results = kernels();
    const report = { threads: poolThreads(backend), pooled: kernelPoolCalls(), results };
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  simdMaxPoolGrad(backend);
  if (mode === "dispose") {
    runParts(backend, MAX_POOL_GRAD_MODULE, "windows", [
      [0, 0, 0, 0, 0, 16, 2, 2, 0, 0, 0, 1, 0, 0],
      [0, 0, 0, 0, 0, 16, 2, 2, 0, 0, 0, 1, 0, 0],
    ]);
    const pool = kernelPool(backend)!;
    const alive = pool.dead;
    tf.removeBackend("wasm");
    process.stdout.write(`${JSON.stringify({ before: "ok", alive: alive ?? null, after: pool.dead ?? null })}\n`);
    return;
  }
  // Zero rows: a call that touches no memory.
  const idle = [0, 0, 0, 0, 0, 16, 2, 2, 0, 0, 0, 1, 0, 0];
  // One row at an address past the memory's end: a trap.
  const bad = [0xfffffff0, 0, 0, 1, 1, 16, 2, 2, 0, 0, 0, 1, 0, 0];
  const pool = kernelPool(backend) as unknown as { sleep(ms: number): void; terminate(w: number): Promise<void> };
  const call = () => runParts(backend, MAX_POOL_GRAD_MODULE, "windows", [idle, idle]);
  const warm = attempt(call);
  let failed: Outcome;
  if (mode === "throw") failed = attempt(() => runParts(backend, MAX_POOL_GRAD_MODULE, "windows", [idle, bad]));
  else if (mode === "timeout") failed = attempt(() => pool.sleep(5000));
  else {
    await pool.terminate(0);
    // The worker's exit event.
    await new Promise((resolve) => setTimeout(resolve, 50));
    failed = attempt(call);
  }
  const after = attempt(call);
  // And a kernel after it: MaxPool's gradient on the calling thread.
  const x = smooth([8, 8, 8, 16], 1);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, "valid")))(x);
  const report = { warm, failed, after, gradSum: tf.sum(g).dataSync()[0], pooled: kernelPoolCalls() };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
