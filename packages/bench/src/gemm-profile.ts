// The filter gradient's products (packages/engine/src/ops/wasm/conv-filter-grad.ts) on XNNPACK and
// on our own SIMD product (gemm-simd.ts): for each layer shape of the CNN and ResNet workloads,
// [m, q] runs times a [q, outC] grid, three products per layer sharing one new grid (as in a
// training step: XNNPACK packs it on the first), and XNNPACK's steady state (the grid packed
// already). Medians of PROFILE_REPS (15) rounds, the two taking turns. GEMM_KC: K block lengths
// to compare (default: the module's).
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/gemm-profile.ts
// (KERASTORE_WASM_THREADS=1 for one thread).
import { loadavg } from "node:os";
import { initBackend, tf, wasmThreading } from "@kerastore/engine";
import { GEMM_K_BLOCK, gemmRows } from "../../engine/src/ops/wasm/gemm-simd.js";

const REPS = Number(process.env.PROFILE_REPS ?? 15);
const KCS = (process.env.GEMM_KC ?? String(GEMM_K_BLOCK)).split(",").map(Number);
await initBackend();
console.log(
  `threads ${JSON.stringify(wasmThreading())}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
// [name, m, q, outC]
const shapes: [string, number, number, number][] = [
  ["cnn conv 32->64 @14x14", 96, 6734, 64],
  ["cnn conv 64->128 @7x7", 192, 1799, 128],
  ["resnet 32->32 @32x32", 96, 33824, 32],
  ["resnet 32->64 /2 @16x16", 96, 8704, 64],
  ["resnet 64->64 @16x16", 192, 8720, 64],
];
const backend = tf.backend() as unknown as { typedArrayFromHeap(t: object): Float32Array };
const addr = (t: tf.Tensor) => backend.typedArrayFromHeap(t as never).byteOffset;
const now = () => performance.now();

for (const [name, m, q, n] of shapes) {
  const runs = tf.randomUniform([m * q + 2 * 64], -1, 1);
  const grid0 = tf.randomUniform([q, n], -1, 1);
  const views = [0, 1, 2].map((i) => tf.reshape(tf.slice(runs, [i * 32], [m * q]), [m, q]));
  const out = tf.zeros([m, n]);
  const macs = m * q * n;
  const xnnFresh: number[] = [];
  const xnnPacked: number[][] = [[], [], []];
  const ours = new Map<number, number[][]>(KCS.map((kc) => [kc, [[], [], []]]));
  for (let rep = 0; rep < REPS + 2; rep++) {
    const grid = tf.add(grid0, 0); // a new tensor: XNNPACK packs it on first use
    let t = now();
    const parts: tf.Tensor[] = [];
    for (let i = 0; i < 3; i++) {
      parts.push(tf.matMul(views[i]!, grid));
      if (i === 0) parts[0]!.dataSync();
      const done = now();
      if (rep >= 2) xnnPacked[i]!.push(done - t);
      t = done;
    }
    if (rep >= 2) xnnFresh.push(xnnPacked.reduce((s, v) => s + v[v.length - 1]!, 0));
    tf.dispose(parts);
    for (const kc of KCS) {
      const times = ours.get(kc)!;
      for (let i = 0; i < 3; i++) {
        const t0 = now();
        gemmRows(
          backend,
          { at: addr(runs) + i * 32 * 4, stride: q },
          { at: addr(grid), stride: n },
          { at: addr(out), stride: n },
          [m, q, n],
          kc,
        );
        if (rep >= 2) times[i]!.push(now() - t0);
      }
    }
    grid.dispose();
  }
  const g = (ms: number) => (macs / ms / 1e6).toFixed(1);
  const p = xnnPacked.map(med);
  console.log(
    `${name} (m ${m}, q ${q}, outC ${n}): XNNPACK 3 products ${med(xnnFresh).toFixed(2)} ms (${p.map((v) => v.toFixed(2)).join(" / ")}; packed ${g(p[2]!)} GMAC/s)`,
  );
  for (const [kc, times] of ours) {
    const o = times.map(med);
    const total = o.reduce((a, b) => a + b, 0);
    console.log(
      `  ours kc ${kc}: 3 products ${total.toFixed(2)} ms (${o.map((v) => v.toFixed(2)).join(" / ")}; ${g(o[2]!)} GMAC/s)`,
    );
  }
  tf.dispose([runs, grid0, out, ...views]);
}
