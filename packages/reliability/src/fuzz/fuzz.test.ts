import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keras } from "kerastore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fuzz } from "./harness.js";
import { FUZZ_FORMATS, type Seed, writeSeeds } from "./seeds.js";

// Issue 16: the CI slice of `pnpm fuzz` (seeded, so every CI run tries the same inputs): every
// mutant of every format gives a typed error or loads; none a generic error, a crash, a hang
// or an over-allocation. The long run's table is in docs/reliability.md.
let work: string;
let seeds: Seed[];
beforeAll(async () => {
  await keras.ready();
  work = await mkdtemp(join(tmpdir(), "kerastore-fuzz-ci-"));
  seeds = await writeSeeds(join(work, "seeds"));
}, 300_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("fuzz slice", () => {
  it("25 mutants per format: only typed errors and loads, no leaked tensors", { timeout: 600_000 }, async () => {
    const results = await fuzz({
      seeds,
      formats: FUZZ_FORMATS,
      perFormat: 25,
      seed: 1616,
      workDir: join(work, "mutants"),
    });
    expect(results).toHaveLength(25 * FUZZ_FORMATS.length);
    const bad = results
      .filter((r) => r.outcome !== "ok" && r.outcome !== "typed")
      .map((r) => `${r.outcome} ${r.format}#${r.index}: ${r.what} -> ${r.detail}`);
    expect(bad).toEqual([]);
    expect(results.filter((r) => r.tensorsLeft !== 0).map((r) => `${r.format}#${r.index}: ${r.what}`)).toEqual([]);
    // The mutants must mostly be refused, or the slice tests nothing.
    expect(results.filter((r) => r.outcome === "typed").length).toBeGreaterThan(results.length / 2);
  });
});
