import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { describe, expect, it } from "vitest";

// The threaded SIMD build in Node (node-wasm-threads.ts): a model with convolutions, batch
// normalization, pooling, an LSTM and Dense layers trains for two Adam epochs from fixed
// weights in two processes, one thread and two; the weights, losses and predictions agree
// within 1e-5 relative. The child ends without process.exit: XNNPACK's threads do not keep
// Node running once the script is done (a hang fails the spawn's timeout).

interface Run {
  threading: { asked: number; threads: number; reason?: string };
  loss: number[];
  weights: { path: string; values: number[] }[];
  predicted: number[];
}

function train(threads: number, smallKernels: "one thread" | "pool" = "one thread"): Run {
  const script = join(__dirname, "threads-child.test-util.ts");
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script, String(threads)], {
    encoding: "utf8",
    env: {
      ...process.env,
      KERASTORE_WASM_THREADS: "",
      KERASTORE_WASM_SMALL_KERNELS: smallKernels === "pool" ? "pool" : "",
    },
    timeout: 240_000,
  });
  if (r.status !== 0)
    throw new Error(
      `child (${threads} threads) failed (status ${String(r.status)}, signal ${String(r.signal)}): ${r.stderr}`,
    );
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Run;
}

describe("the WASM backend on two threads", () => {
  it("runs two threads in Node, and trains and predicts as one thread does (within 1e-5 relative)", () => {
    const one = train(1);
    // Small kernels on the calling thread (the default), and every kernel on the pool (this
    // model's kernels are mostly small: the second run puts them all through both threads).
    for (const two of [train(2), train(2, "pool")]) compare(one, two);
  });

  function compare(one: Run, two: Run): void {
    expect(one.threading).toEqual({ asked: 1, threads: 1 });
    expect(two.threading).toEqual({ asked: 2, threads: 2 });
    expect(one.loss.every(Number.isFinite)).toBe(true);
    // Training moved the weights: the comparison below compares trained models.
    expect(one.loss[1]).not.toBe(one.loss[0]);
    expectAllClose(two.loss, one.loss, { rtol: 1e-5, floor: 1e-3, label: "loss" });
    expect(two.weights.map((w) => w.path)).toEqual(one.weights.map((w) => w.path));
    for (const [i, w] of one.weights.entries())
      expectAllClose(two.weights[i]!.values, w.values, { rtol: 1e-5, floor: 1e-3, label: w.path });
    expectAllClose(two.predicted, one.predicted, { rtol: 1e-5, floor: 1e-3, label: "predictions" });
  }

  it("runs every core (at most 4) in Node unless KERASTORE_WASM_THREADS asks otherwise (a number, or auto: every core, at most 8)", async () => {
    const { nodeRuntimeHooks } = await import("../node-runtime.js");
    const { availableParallelism } = await import("node:os");
    const saved = process.env.KERASTORE_WASM_THREADS;
    try {
      const with_ = (v: string | undefined) => {
        if (v === undefined) delete process.env.KERASTORE_WASM_THREADS;
        else process.env.KERASTORE_WASM_THREADS = v;
        return nodeRuntimeHooks.defaultThreads();
      };
      expect(with_(undefined)).toBe(Math.min(4, availableParallelism()));
      expect(with_("")).toBe(Math.min(4, availableParallelism()));
      expect(with_("1")).toBe(1);
      expect(with_("3")).toBe(3);
      expect(with_("64")).toBe(8);
      expect(with_("auto")).toBe(Math.min(8, availableParallelism()));
      expect(with_("0")).toBe(1);
      expect(with_("two")).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.KERASTORE_WASM_THREADS;
      else process.env.KERASTORE_WASM_THREADS = saved;
    }
  });

  it("refuses a thread count that is not a whole number >= 1", async () => {
    const { initBackend } = await import("../node.js");
    await expect(initBackend({ threads: 0 })).rejects.toThrow(/threads must be a whole number >= 1, got 0/);
  });
});
