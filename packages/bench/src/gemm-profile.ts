// The filter gradient (Conv2DBackpropFilter, packages/engine/src/ops/wasm/conv-filter-grad.ts) of
// the CNN and ResNet workloads' layers with its products on our SIMD product (gemm-simd.ts: the
// output-gradient grid read as it lies) and on XNNPACK's (which packs that grid, a new tensor
// every step, before the first of a layer's three products), switched with
// KERASTORE_WASM_SIMD_GEMM ("1" / "0") and taking turns; medians of PROFILE_REPS (15) calls each,
// with the ratio XNNPACK / ours (> 1: ours faster). Placement and grid copy are in both.
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/gemm-profile.ts
// (KERASTORE_WASM_THREADS=1 for one thread).
import { tf } from "@kerastore/engine";
import { median as med, startProfile } from "./profile-start.js";

const REPS = Number(process.env.PROFILE_REPS ?? 15);
await startProfile();
// [name, input [b, h, w, inC], outC, stride]: 3x3 "same" (1x1 for the projection).
const layers: [string, [number, number, number, number], number, number, number][] = [
  ["cnn conv2d_1 32->64 @14x14", [32, 14, 14, 32], 64, 1, 3],
  ["cnn conv2d_2 64->128 @7x7", [32, 7, 7, 64], 128, 1, 3],
  ["resnet b1 32->32 @32x32", [32, 32, 32, 32], 32, 1, 3],
  ["resnet b2_conv1 32->64 /2 @32x32", [32, 32, 32, 32], 64, 2, 3],
  ["resnet b2_proj 1x1 32->64 /2", [32, 32, 32, 32], 64, 2, 1],
  ["resnet b2/b3 64->64 @16x16", [32, 16, 16, 64], 64, 1, 3],
];
const previous = process.env.KERASTORE_WASM_SIMD_GEMM;
for (const [name, shape, co, stride, k] of layers) {
  const x = tf.randomUniform(shape, -1, 1);
  const info = tf.backend_util.computeConv2DInfo(shape, [k, k, shape[3], co], stride, 1, "same");
  const dy = tf.randomUniform([shape[0], info.outHeight, info.outWidth, co], -1, 1);
  const attrs = {
    strides: stride,
    pad: "same",
    dataFormat: "NHWC",
    dimRoundingMode: undefined,
    filterShape: [k, k, shape[3], co],
  };
  const times: Record<"1" | "0", number[]> = { "1": [], "0": [] };
  for (let rep = 0; rep < REPS + 2; rep++)
    for (const mode of ["1", "0"] as const) {
      process.env.KERASTORE_WASM_SIMD_GEMM = mode;
      const dyNew = tf.add(dy, 0); // a new output gradient every step, as in training
      const t0 = performance.now();
      const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dyNew }, attrs as never) as tf.Tensor;
      dw.dataSync();
      if (rep >= 2) times[mode].push(performance.now() - t0);
      tf.dispose([dw, dyNew]);
    }
  const [ours, xnn] = [med(times["1"]), med(times["0"])];
  console.log(
    `${name}: ours ${ours.toFixed(2)} ms, XNNPACK ${xnn.toFixed(2)} ms, XNNPACK / ours ${(xnn / ours).toFixed(2)}`,
  );
  tf.dispose([x, dy]);
}
if (previous === undefined) delete process.env.KERASTORE_WASM_SIMD_GEMM;
else process.env.KERASTORE_WASM_SIMD_GEMM = previous;
