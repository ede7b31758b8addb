// Where a Dense training step's products lose time on the WASM backend: for each product of the
// MLP workload's step (256 x 784 x 512 ... ), its time with a second operand XNNPACK has already
// packed (the same tensor again) and with a new one (every training step's kernel and gradient
// operands are new tensors: tfjs-backend-wasm caches the packed copy by tensor), and the
// transpose of its first operand. Medians of PROFILE_REPS (30) calls.
// Run: pnpm --filter @kerastore/bench exec tsx --conditions=source src/dense-profile.ts
// (KERASTORE_WASM_THREADS=1 for one thread).
import { tf } from "@kerastore/engine";
import { median as med, startProfile } from "./profile-start.js";

const REPS = Number(process.env.PROFILE_REPS ?? 30);
await startProfile();
// [name, m, k, n]: a [m, k] by [k, n] product.
const products: [string, number, number, number][] = [
  ["forward 1", 256, 784, 512],
  ["forward 1, transposed", 512, 784, 256],
  ["forward 2", 256, 512, 512],
  ["forward 3", 256, 512, 10],
  ["kernel gradient 1", 784, 256, 512],
  ["kernel gradient 2", 512, 256, 512],
  ["input gradient 2", 256, 512, 512],
  ["input gradient 2, transposed", 512, 512, 256],
];
for (const [name, m, k, n] of products) {
  const a = tf.randomUniform([m, k]) as tf.Tensor2D;
  const b = tf.randomUniform([k, n]) as tf.Tensor2D;
  const fresh = Array.from({ length: REPS }, () => tf.add(b, 0) as tf.Tensor2D);
  tf.matMul(a, b).dispose();
  const packed: number[] = [];
  const unpacked: number[] = [];
  const transposed: number[] = [];
  for (const c of fresh) {
    let t0 = performance.now();
    tf.matMul(a, b).dispose();
    packed.push(performance.now() - t0);
    t0 = performance.now();
    tf.matMul(a, c).dispose();
    unpacked.push(performance.now() - t0);
    t0 = performance.now();
    tf.transpose(a).dispose();
    transposed.push(performance.now() - t0);
  }
  const gmac = (m * k * n) / 1e6 / med(packed);
  console.log(
    `${name.padEnd(30)} [${m}, ${k}] x [${k}, ${n}]: operand packed ${med(packed).toFixed(2)} ms (${gmac.toFixed(1)} GMAC/s), new ${med(unpacked).toFixed(2)} ms; transpose of [${m}, ${k}] ${med(transposed).toFixed(2)} ms`,
  );
  tf.dispose([a, b, ...fresh]);
}
process.exit(0);
