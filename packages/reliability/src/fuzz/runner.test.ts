import { afterAll, describe, expect, it } from "vitest";
import { ChildRunner, DEFAULT_LIMITS } from "./runner.js";

// The fuzz run's verdicts are only as good as the runner's eye: each probe acts out one failure
// inside a reused child, and the runner must name it, then serve the next input from a child that
// works (a fresh one after a crash, hang or over-allocation).
const runner = new ChildRunner({ ...DEFAULT_LIMITS, timeoutMs: 3_000, fixedBytes: 100 * 2 ** 20, perChild: 50 });
afterAll(() => runner.close());
const probe = (what: string, path = "") => runner.run({ action: `probe:${what}`, path, bytes: 0 });

describe("fuzz child runner", { timeout: 120_000 }, () => {
  it("a clean input, then a plain error: ok and generic, in one child", async () => {
    expect(await probe("none")).toMatchObject({ outcome: "ok", tensorsLeft: 0 });
    const generic = await probe("generic");
    expect(generic.outcome).toBe("generic");
    expect(generic.detail).toContain("a plain error");
  });

  it("a hang: named after the time limit, and the next input runs", async () => {
    const hang = await probe("hang");
    expect(hang.outcome).toBe("hang");
    expect(hang.detail).toContain("3000 ms");
    expect((await probe("none")).outcome).toBe("ok");
  });

  it("a crash and a late rejection: each the crash of its own input", async () => {
    expect((await probe("crash")).outcome).toBe("crash");
    const late = await probe("reject");
    expect(late.outcome).toBe("crash");
    expect(late.detail).toContain("exit 70");
    expect((await probe("none")).outcome).toBe("ok");
  });

  it("an allocation past 4x the input + the fixed allowance: over-allocation, even in a reused child", async () => {
    expect((await probe("none")).outcome).toBe("ok");
    const over = await probe("allocate", String(300 * 2 ** 20));
    expect(over.outcome).toBe("over-allocation");
    expect(over.grew).toBeGreaterThan(100 * 2 ** 20);
    // Within the allowance: loads, and its growth is measured.
    const within = await probe("allocate", String(40 * 2 ** 20));
    expect(within.outcome).toBe("ok");
    expect(within.grew).toBeGreaterThan(30 * 2 ** 20);
  });

  it("a tensor left allocated is counted", async () => {
    expect(await probe("leak")).toMatchObject({ outcome: "ok", tensorsLeft: 1 });
  });
});
