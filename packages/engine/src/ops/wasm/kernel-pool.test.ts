import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { beforeAll, describe, expect, it } from "vitest";
import { splitRange } from "./kernel-pool.js";

// The kernel pool (kernel-pool.ts, ../../node-kernel-pool.ts): the kernels it splits give the
// bits they give on the calling thread alone, on two threads with the pool, without it, with
// more parts than threads; a failing part, a stuck worker and a dead worker make the call
// throw an EngineError (no hang); one thread never starts it. Each run is a child process
// (kernel-pool-child.test-util.ts): the threaded build starts from the Node entry.

interface Kernels {
  threads: number;
  pooled: number;
  results: Record<string, { hash: string; sample: number[] }>;
}

type Outcome = "ok" | { name: string; code?: string; message: string; ms: number };
interface Failure {
  warm: Outcome;
  failed: Outcome;
  after: Outcome;
  gradSum: number;
  pooled: number;
}

function child<T>(threads: number, mode: string, env: Record<string, string> = {}): T {
  const script = join(__dirname, "kernel-pool-child.test-util.ts");
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script, String(threads), mode], {
    encoding: "utf8",
    env: { ...process.env, KERASTORE_WASM_THREADS: "", KERASTORE_KERNEL_POOL: "", ...env },
    timeout: 240_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(
      `child (${threads} threads, ${mode}) failed (status ${String(r.status)}): ${r.stderr.slice(-2000)}`,
    );
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as T;
}

describe("splitRange", () => {
  it("covers the range in contiguous parts, the first ones one longer", () => {
    expect(splitRange(10, 3)).toEqual([
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    expect(splitRange(2, 3)).toEqual([
      [0, 1],
      [1, 2],
      [2, 2],
    ]);
    expect(splitRange(5, 1)).toEqual([[0, 5]]);
  });
});

describe("the kernel pool", () => {
  let one: Kernels;
  let off: Kernels;
  let pool: Kernels;
  let three: Kernels;
  beforeAll(() => {
    one = child(1, "kernels");
    // Our products (fused where relaxed SIMD is on: other bits than XNNPACK's) without the pool too.
    off = child(2, "kernels", { KERASTORE_KERNEL_POOL: "0", KERASTORE_WASM_SIMD_GEMM: "1" });
    pool = child(2, "kernels");
    // Three parts on two threads, whatever the size: ragged splits and a second round.
    three = child(2, "kernels", { KERASTORE_KERNEL_POOL_PARTS: "3" });
  }, 600_000);

  it("runs where it can: two threads, not turned off", () => {
    expect([one.threads, off.threads, pool.threads, three.threads]).toEqual([1, 1, 2, 2]);
    expect([one.pooled, off.pooled]).toEqual([0, 0]);
    // Kernels big enough to split (the thresholds of each kernel's file): MaxPool's gradient
    // (1 shape), ReLU + bias (2), ReLU's gradient and Add + ReLU (1 each), the filter
    // gradients (the placement at batch 128, the small-channel product at batch 96), the
    // stride-1 convolutions on our product (4).
    expect(pool.pooled).toBeGreaterThanOrEqual(11);
    expect(three.pooled).toBeGreaterThanOrEqual(14);
    expect(Object.keys(pool.results).length).toBe(28);
  });

  it("gives the bits of the calling thread alone", () => {
    for (const [name, r] of Object.entries(off.results)) {
      expect(pool.results[name]?.hash, name).toBe(r.hash);
      expect(three.results[name]?.hash, name).toBe(r.hash);
    }
  });

  it("gives one thread's results on two (within 1e-5 relative)", () => {
    for (const [name, r] of Object.entries(one.results))
      expectAllClose(pool.results[name]!.sample, r.sample, { rtol: 1e-5, floor: 1e-3, label: name });
  });

  it("throws an EngineError for a part that fails (on the worker or here), then runs on", () => {
    const r = child<Failure>(2, "throw");
    expect(r.warm).toBe("ok");
    expect(r.failed).toMatchObject({ name: "EngineError", code: "backend" });
    expect((r.failed as { message: string }).message).toMatch(
      /^cannot run max-pool-grad\.windows on the kernel pool: (worker 0: )?memory access out of bounds/,
    );
    expect(r.after).toBe("ok");
    expect(r.gradSum).toBe(2048);
  });

  it("throws an EngineError when a worker outlasts the timeout, instead of waiting", () => {
    const r = child<Failure>(2, "timeout", { KERASTORE_KERNEL_POOL_TIMEOUT_MS: "300" });
    expect(r.failed).toMatchObject({ name: "EngineError", code: "backend" });
    const failed = r.failed as { message: string; ms: number };
    expect(failed.message).toContain("did not finish within 300 ms");
    expect(failed.ms).toBeLessThan(3000);
    // The next call reports the dead pool once; the kernels after it run on the calling thread.
    expect(r.after).toMatchObject({ name: "EngineError", code: "backend" });
    expect(r.gradSum).toBe(2048);
  });

  it("throws an EngineError when a worker has died, then runs on the calling thread", () => {
    const r = child<Failure>(2, "terminated");
    expect(r.failed).toMatchObject({ name: "EngineError", code: "backend" });
    expect((r.failed as { message: string }).message).toContain("worker 0 exited");
    expect(r.after).toBe("ok");
    expect(r.gradSum).toBe(2048);
    // The warm-up call only: after the failure nothing reaches the pool.
    expect(r.pooled).toBe(1);
  });

  it("stops with the backend", () => {
    const r = child<{ before: string; alive: string | null; after: string | null }>(2, "dispose");
    expect(r).toEqual({ before: "ok", alive: null, after: "the kernel pool was closed" });
  });
});
