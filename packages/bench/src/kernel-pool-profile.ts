// The kernel pool's gain per kernel (packages/engine/src/ops/wasm/kernel-pool.ts): each of the
// engine's split kernels at batch 32 and KERNEL_POOL_BATCH (default 128), run alternately with
// every kernel whole (KERASTORE_KERNEL_POOL_PARTS=1: the calling thread alone) and split as
// the kernels decide, KERNEL_POOL_ROUNDS (25) times each; prints both medians and their ratio.
// Two threads (the threaded build); the pool must not be turned off (KERASTORE_KERNEL_POOL=0).
// Run: cd packages/bench && npx tsx --conditions=source src/kernel-pool-profile.ts
import { registerGradients, tf } from "@kerastore/engine";
import { median, startProfile } from "./profile-start.js";

const ROUNDS = Number(process.env.KERNEL_POOL_ROUNDS ?? 25);
const BATCHES = [32, Number(process.env.KERNEL_POOL_BATCH ?? 128)];

function cases(b: number): [string, () => void][] {
  const n = (s: number[]) => tf.randomNormal(s);
  const [x1, dy32] = [n([b, 28, 28, 1]), n([b, 28, 28, 32])];
  const [x32, y32] = [n([b, 28, 28, 32]), tf.relu(n([b, 28, 28, 32]))];
  const [x14, dy14] = [n([b, 14, 14, 32]), n([b, 14, 14, 64])];
  const poolGrad = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, "valid")));
  const filterGrad = (x: tf.Tensor, dy: tf.Tensor) => () =>
    (
      tf.engine().runKernel(
        "Conv2DBackpropFilter",
        { x, dy } as never,
        {
          strides: 1,
          pad: "same",
          dataFormat: "NHWC",
          filterShape: [3, 3, x.shape[3], dy.shape[3]],
        } as never,
      ) as tf.Tensor
    ).dispose();
  return [
    ["MaxPool gradient (with its forward pool) 28x28x32", () => poolGrad(x32).dispose()],
    [
      "ReLU + bias gradient 28x28x32",
      () => {
        for (const t of tf.engine().runKernel("KerastoreReluBiasGrad", { dy: dy32, y: y32 } as never) as tf.Tensor[])
          t.dispose();
      },
    ],
    [
      "ReLU gradient 28x28x32",
      () => (tf.engine().runKernel("KerastoreReluGrad", { dy: dy32, t: y32 } as never) as tf.Tensor).dispose(),
    ],
    [
      "Add + ReLU 28x28x32",
      () => (tf.engine().runKernel("KerastoreAddRelu", { a: dy32, b: x32 } as never) as tf.Tensor).dispose(),
    ],
    ["filter gradient 28x28x1 -> 32", filterGrad(x1, dy32)],
    ["filter gradient 14x14x32 -> 64", filterGrad(x14, dy14)],
  ];
}

async function main(): Promise<void> {
  await startProfile(2);
  await registerGradients();
  for (const b of BATCHES)
    for (const [name, run] of cases(b)) {
      const times: Record<"whole" | "split", number[]> = { whole: [], split: [] };
      for (let i = 0; i < ROUNDS + 3; i++)
        for (const mode of ["whole", "split"] as const) {
          process.env.KERASTORE_KERNEL_POOL_PARTS = mode === "whole" ? "1" : "";
          const start = performance.now();
          run();
          if (i >= 3) times[mode].push(performance.now() - start);
        }
      const [whole, split] = [median(times.whole), median(times.split)];
      console.log(
        `batch ${String(b).padStart(3)}  ${name.padEnd(50)} whole ${whole.toFixed(3)} ms  split ${split.toFixed(3)} ms  ${(whole / split).toFixed(2)}x`,
      );
    }
}

await main();
