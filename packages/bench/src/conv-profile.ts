// Where a convolutional training step's time goes, by kernel and input shapes: per workload of
// ./workloads.ts (PROFILE_ONLY=resnet,cnn; resnet by default), two warm-up steps of the engine's
// model, then tf.profile over PROFILE_STEPS more trainOnBatch steps (3 by default); per kernel
// name and input shapes, the smallest time of the steps (a loaded machine inflates some), and
// the same grouped by kind (convolution forward, filter and input gradients, elementwise, ...).
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/conv-profile.ts
import { loadavg } from "node:os";
import { initBackend, registerGradients, tf, wasmThreading } from "@kerastore/engine";
import { ours } from "./training.bench.js";
import { WORKLOADS } from "./workloads.js";

const ONLY = (process.env.PROFILE_ONLY ?? "resnet").split(",");
const STEPS = Number(process.env.PROFILE_STEPS ?? 3);
const TOP = Number(process.env.PROFILE_TOP ?? 30);

const KIND: Record<string, string> = {
  Conv2D: "conv forward",
  FusedConv2D: "conv forward",
  Conv2DBackpropFilter: "conv filter grad",
  Conv2DBackpropInput: "conv input grad",
  Transpose: "transpose",
  PadV2: "pad/slice",
  Slice: "pad/slice",
  StridedSlice: "pad/slice",
  KerastoreAdamUpdate: "optimizer",
  MaxPool: "pool",
  MaxPoolGrad: "pool",
  AvgPool: "pool",
  AvgPoolGrad: "pool",
};

function kind(name: string): string {
  if (KIND[name] !== undefined) return KIND[name]!;
  if (name.startsWith("KerastoreBatchNorm") || name === "KerastoreScaleShift") return "batch norm";
  if (["Mean", "Sum", "Max", "Min", "Prod"].includes(name)) return "reductions";
  return "elementwise/other";
}

await initBackend();
await registerGradients();
console.log(
  `threads ${JSON.stringify(wasmThreading())}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
for (const w of WORKLOADS) {
  if (!ONLY.includes(w.key)) continue;
  const model = ours(w);
  model.compile({ optimizer: "adam", loss: w.loss });
  const x = tf.randomUniform([w.batch, ...w.input]);
  const y = tf.oneHot(tf.zeros([w.batch], "int32"), w.classes);
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
  const walls: number[] = [];
  const best = new Map<string, { ms: number; n: number; kind: string }>();
  for (let s = 0; s < STEPS; s++) {
    const start = performance.now();
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    walls.push(performance.now() - start);
    const step = new Map<string, { ms: number; n: number; kind: string }>();
    for (const k of info.kernels) {
      const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      const e = step.get(key) ?? { ms: 0, n: 0, kind: kind(k.name) };
      e.ms += Number(k.kernelTimeMs);
      e.n += 1;
      step.set(key, e);
    }
    for (const [key, e] of step) {
      const b = best.get(key);
      if (b === undefined || e.ms < b.ms) best.set(key, e);
    }
  }
  const total = [...best.values()].reduce((a, e) => a + e.ms, 0);
  const launches = [...best.values()].reduce((a, e) => a + e.n, 0);
  console.log(
    `\n${w.key}: step ${Math.min(...walls).toFixed(0)} ms (best of ${STEPS}), kernels ${total.toFixed(0)} ms in ${launches} launches`,
  );
  const kinds = new Map<string, number>();
  for (const e of best.values()) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + e.ms);
  for (const [k, ms] of [...kinds.entries()].sort((a, b) => b[1] - a[1]))
    console.log(`  ${k.padEnd(20)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / total).toFixed(0).padStart(3)}%`);
  console.log("");
  for (const [key, e] of [...best.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP))
    console.log(`  ${e.ms.toFixed(1).padStart(7)} ms ${String(e.n).padStart(4)}x  ${key}`);
  tf.dispose([x, y]);
}
process.exit(0);
