// Whether training slows down once gradients become subnormal (|x| < 2^-126). A workload of
// ./workloads.ts (SUBNORMAL_WORKLOAD, the CNN by default) trains on one batch whose labels are
// all one class: the model soon predicts it with certainty, its softmax puts e^-90 and less on
// the other classes, and the gradients it sends back shrink through the subnormal range.
// Processors run arithmetic on subnormals on a slow path (a convolution's filter gradient over
// them: ~60x); TensorFlow's CPU kernels flush them to zero, and so do the engine's gradient
// kernels (ops/wasm/subnormal.ts). Prints the median step of the first 20 steps and of the last
// 50 (of SUBNORMAL_STEPS, 200 by default) and their ratio: near 1 when nothing slows down.
// SUBNORMAL_SEED (1) seeds the batch; the weights are random (glorot), so runs differ: whether and
// when the gradients reach the subnormal range depends on them (run it several times).
// Run: cd packages/bench && npx tsx --conditions=source src/subnormal-profile.ts
import { loadavg } from "node:os";
import { initBackend, registerGradients, tf } from "@kerastore/engine";
import { ours } from "./training.bench.js";
import { WORKLOADS } from "./workloads.js";

await initBackend();
await registerGradients();
const key = process.env.SUBNORMAL_WORKLOAD ?? "cnn";
const steps = Number(process.env.SUBNORMAL_STEPS ?? 200);
const w = WORKLOADS.find((x) => x.key === key);
if (w === undefined || w.vocab !== undefined || w.classes < 2)
  throw new Error(`no image/vector classifier workload "${key}"`);
const model = ours(w);
model.compile({ optimizer: "adam", loss: w.loss });
const seed = Number(process.env.SUBNORMAL_SEED ?? 1);
const x = tf.randomUniform([w.batch, ...w.input], 0, 1, "float32", seed);
const y = tf.oneHot(tf.zeros([w.batch], "int32"), w.classes);
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const start = performance.now();
  await model.trainOnBatch(x, y);
  times.push(performance.now() - start);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const early = median(times.slice(1, 21));
const late = median(times.slice(-50));
console.log(
  `${key} (seed ${seed}): median step, steps 2-21 ${early.toFixed(1)} ms, last 50 ${late.toFixed(1)} ms, ratio ${(late / early).toFixed(2)} (load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")})`,
);
