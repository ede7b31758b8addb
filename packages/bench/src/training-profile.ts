// Where a training step's time goes: per workload of ./workloads.ts (PROFILE_ONLY=cnn,...), one
// warm-up epoch of the engine's model, then tf.profile over one more step (trainOnBatch),
// kernel times summed by kernel name (PROFILE_SHAPES=1: by name and input shapes), largest
// first; then the wall time of plain steps (no profiler) and of predict batches. Kernel times on
// the WASM backend are the synchronous wall time of each kernel (a loaded machine inflates them
// all alike); a custom-gradient op's own time ("unnamed scope") includes its inner kernels.
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/training-profile.ts
// (KERASTORE_WASM_THREADS=1 for one thread).
import { loadavg } from "node:os";
import { initBackend, registerGradients, tf, wasmThreading } from "@kerastore/engine";
import { ours } from "./training.bench.js";
import { WORKLOADS } from "./workloads.js";

const ONLY = process.env.PROFILE_ONLY?.split(",");
const SHAPES = process.env.PROFILE_SHAPES === "1";
const STEPS = Number(process.env.PROFILE_STEPS ?? 10);
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
  const start = performance.now();
  const info = await tf.profile(async () => {
    await model.trainOnBatch(x, y);
  });
  const wall = performance.now() - start;
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const key = SHAPES ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const e = by.get(key) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.n += 1;
    by.set(key, e);
  }
  const total = [...by.values()].reduce((a, e) => a + e.ms, 0);
  console.log(
    `\n${w.key}: step ${wall.toFixed(0)} ms, kernels ${total.toFixed(0)} ms in ${info.kernels.length} launches`,
  );
  for (const [name, e] of [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, SHAPES ? 40 : 15)) {
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
