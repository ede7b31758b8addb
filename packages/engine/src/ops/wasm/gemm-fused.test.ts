import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gemmInputs } from "./gemm-fused-inputs.test-util.js";

// The SIMD product (./gemm-simd.ts) with relaxed SIMD's fused multiply-add, which the engine's
// Node hooks switch on (Node 20: V8's --experimental-wasm-relaxed-simd): each child process
// (gemm-fused-child.test-util.ts) starts from the Node entry. Fused, the product is within
// float error of the float64 sums and really fused (it differs from rounding every product);
// with KERASTORE_WASM_RELAXED_SIMD=0 it is the plain float32 sum of rounded products, bit for
// bit; two threads (the kernel pool) give one thread's bits.

function child(threads: number, env: Record<string, string> = {}): { relaxed: boolean; pooled: number; c: number[] } {
  const script = join(__dirname, "gemm-fused-child.test-util.ts");
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script, String(threads)], {
    encoding: "utf8",
    env: { ...process.env, KERASTORE_WASM_THREADS: "", KERASTORE_WASM_RELAXED_SIMD: "", ...env },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`child failed (status ${String(r.status)}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

const { m, k, n, a, b } = gemmInputs();
/** C by `step(sum, a, b)` over k in order, per output. */
function reference(step: (sum: number, x: number, y: number) => number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum = step(sum, a[i * k + p]!, b[p * n + j]!);
      c[i * n + j] = sum;
    }
  return c;
}
const exact = reference((s, x, y) => s + x * y);
const unfused = reference((s, x, y) => Math.fround(s + Math.fround(x * y)));

describe("the SIMD product with fused multiply-add (relaxed SIMD)", () => {
  const one = child(1);
  const two = child(2);

  it("is switched on by the engine's Node hooks, and fused", () => {
    expect(one.relaxed).toBe(true);
    const differs = one.c.filter((v, i) => v !== unfused[i]).length;
    expect(differs).toBeGreaterThan(m * n * 0.2);
  });

  it("is within float error of the float64 sums", () => {
    const scale = Math.max(...Array.from(exact, Math.abs));
    for (let i = 0; i < exact.length; i++)
      expect(Math.abs(one.c[i]! - exact[i]!), `value ${i}`).toBeLessThan(2e-5 * scale);
  });

  it("gives one thread's bits on two threads", () => {
    expect([one.pooled, two.pooled]).toEqual([0, 1]);
    expect(two.c).toEqual(one.c);
  });

  it("with KERASTORE_WASM_RELAXED_SIMD=0 is the sum of rounded products, bit for bit", () => {
    const off = child(1, { KERASTORE_WASM_RELAXED_SIMD: "0" });
    expect(off.relaxed).toBe(false);
    expect(off.c).toEqual(Array.from(unfused));
  });
});
