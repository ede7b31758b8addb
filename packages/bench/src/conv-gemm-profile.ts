// Stride-1 convolutions on our product (packages/engine/src/ops/wasm/conv-gemm.ts: the input on
// a zero-padded grid, one implicit product, no patch matrix) against XNNPACK's convolution,
// switched with KERASTORE_WASM_SIMD_CONV ("1" / "0") and taking turns in one process: the
// forward Conv2D + bias + ReLU (KerastoreConv2DBiasRelu) and Conv2D's input gradient
// (Conv2DBackpropInput) of the CNN and ResNet workloads' 3x3 "same" layers. Medians of
// PROFILE_REPS (15) calls each, with the ratio XNNPACK / ours (> 1: ours faster).
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/conv-gemm-profile.ts
// (KERASTORE_WASM_THREADS=1 for one thread; PROFILE_CPU=1 for CPU time).
import { tf } from "@kerastore/engine";
import { median as med, startProfile } from "./profile-start.js";

const REPS = Number(process.env.PROFILE_REPS ?? 15);
await startProfile();
// [name, input [b, h, w, inC], outC]: 3x3 "same", stride 1.
const layers: [string, [number, number, number, number], number][] = [
  ["cnn conv2d 1->32 @28x28", [32, 28, 28, 1], 32],
  ["cnn conv2d_1 32->64 @14x14", [32, 14, 14, 32], 64],
  ["cnn conv2d_2 64->128 @7x7", [32, 7, 7, 64], 128],
  ["resnet b1 32->32 @32x32", [32, 32, 32, 32], 32],
  ["resnet b2/b3 64->64 @16x16", [32, 16, 16, 64], 64],
];
const previous = process.env.KERASTORE_WASM_SIMD_CONV;
// PROFILE_CPU=1: the process's CPU time (user + system) instead of the wall clock: on a busy
// machine, with one thread, what the kernel itself costs.
const cpu = process.env.PROFILE_CPU === "1";
const now = () => {
  if (!cpu) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const time = (f: () => tf.Tensor) => {
  const t0 = now();
  const r = f();
  r.dataSync();
  const ms = now() - t0;
  r.dispose();
  return ms;
};
for (const [name, shape, co] of layers) {
  const x = tf.randomUniform(shape, -1, 1);
  const filter = tf.randomUniform([3, 3, shape[3], co], -0.2, 0.2);
  const bias = tf.randomUniform([co], -0.1, 0.1);
  const dy = tf.randomUniform([...shape.slice(0, 3), co], -1, 1);
  const kinds = {
    forward: () =>
      tf.engine().runKernel("KerastoreConv2DBiasRelu", { x, filter, bias }, {
        strides: [1, 1],
        pad: "same",
      } as never) as tf.Tensor,
    "input gradient": () =>
      tf.engine().runKernel("Conv2DBackpropInput", { dy, filter }, {
        strides: [1, 1],
        pad: "same",
        dataFormat: "NHWC",
        inputShape: shape,
      } as never) as tf.Tensor,
  };
  for (const [kind, f] of Object.entries(kinds)) {
    const times: Record<"1" | "0", number[]> = { "1": [], "0": [] };
    for (let rep = 0; rep < REPS + 2; rep++)
      for (const mode of ["1", "0"] as const) {
        process.env.KERASTORE_WASM_SIMD_CONV = mode;
        const ms = time(f);
        if (rep >= 2) times[mode].push(ms);
      }
    const [ours, xnn] = [med(times["1"]), med(times["0"])];
    console.log(
      `${name} ${kind}: ours ${ours.toFixed(2)} ms, XNNPACK ${xnn.toFixed(2)} ms, XNNPACK / ours ${(xnn / ours).toFixed(2)}`,
    );
  }
  tf.dispose([x, filter, bias, dy]);
}
if (previous === undefined) delete process.env.KERASTORE_WASM_SIMD_CONV;
else process.env.KERASTORE_WASM_SIMD_CONV = previous;
