// Where a training step's time goes: per workload of ./workloads.ts (PROFILE_ONLY=cnn,...), two
// warm-up steps of the engine's model, then tf.profile over PROFILE_PROFILED more steps
// (trainOnBatch; 1, or 3 with PROFILE_KINDS=1), kernel times summed by kernel name
// (PROFILE_SHAPES=1: by name and input shapes), each key's smallest time over the profiled steps
// (a loaded machine inflates some), largest first (PROFILE_TOP of them). PROFILE_KINDS=1 also
// groups them by kind (convolution forward, filter and input gradients, batch norm, ...) and
// implies PROFILE_SHAPES. Then the wall time of plain steps (no profiler; PROFILE_STEPS of them,
// 10 by default) and of predict batches. Kernel times on the WASM backend are the synchronous
// wall time of each kernel (a loaded machine inflates them all alike); a custom-gradient op's
// own time ("unnamed scope") includes its inner kernels.
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/training-profile.ts
// (KERASTORE_WASM_THREADS=1 for one thread).
import { loadavg } from "node:os";
import { initBackend, registerGradients, tf, wasmThreading } from "@kerastore/engine";
import { ours } from "./training.bench.js";
import { WORKLOADS } from "./workloads.js";

const ONLY = process.env.PROFILE_ONLY?.split(",");
const KINDS = process.env.PROFILE_KINDS === "1";
const SHAPES = KINDS || process.env.PROFILE_SHAPES === "1";
const STEPS = Number(process.env.PROFILE_STEPS ?? 10);
const PROFILED = Number(process.env.PROFILE_PROFILED ?? (KINDS ? 3 : 1));
const TOP = Number(process.env.PROFILE_TOP ?? (SHAPES ? 40 : 15));

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

interface Entry {
  ms: number;
  n: number;
  kind: string;
}

await initBackend();
await registerGradients();
console.log(
  `threads ${JSON.stringify(wasmThreading())}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
for (const w of WORKLOADS) {
  if (ONLY !== undefined && !ONLY.includes(w.key)) continue;
  const model = ours(w);
  model.compile({ optimizer: "adam", loss: w.loss });
  const x =
    w.vocab === undefined
      ? tf.randomUniform([w.batch, ...w.input])
      : tf.randomUniform([w.batch, ...w.input], 0, w.vocab, "int32");
  const y = w.classes === 1 ? tf.ones([w.batch, 1]) : tf.oneHot(tf.zeros([w.batch], "int32"), w.classes);
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
  const profiledWalls: number[] = [];
  const best = new Map<string, Entry>();
  for (let s = 0; s < PROFILED; s++) {
    const start = performance.now();
    const info = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    profiledWalls.push(performance.now() - start);
    const step = new Map<string, Entry>();
    for (const k of info.kernels) {
      const key = SHAPES ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
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
  const over = PROFILED > 1 ? ` (best of ${PROFILED})` : "";
  console.log(
    `\n${w.key}: step ${Math.min(...profiledWalls).toFixed(0)} ms${over}, kernels ${total.toFixed(0)} ms in ${launches} launches`,
  );
  if (KINDS) {
    const kinds = new Map<string, number>();
    for (const e of best.values()) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + e.ms);
    for (const [k, ms] of [...kinds.entries()].sort((a, b) => b[1] - a[1]))
      console.log(`  ${k.padEnd(20)} ${ms.toFixed(1).padStart(8)} ms  ${((100 * ms) / total).toFixed(0).padStart(3)}%`);
    console.log("");
  }
  for (const [name, e] of [...best.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP)) {
    console.log(`  ${name.padEnd(28)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(5)} calls`);
  }
  // Without the profiler: the median step, and the median predict of one batch (read back).
  const walls: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    walls.push(performance.now() - t0);
  }
  const preds: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    model.predict(x, { batchSize: w.batch });
    preds.push(performance.now() - t0);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!.toFixed(1);
  console.log(`  plain step (median of ${STEPS}): ${med(walls)} ms; predict of one batch: ${med(preds)} ms`);
  tf.dispose([x, y]);
}
process.exit(0);
