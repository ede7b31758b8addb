import { describe, expect, it } from "vitest";
import { runKillTrials } from "./kill-trials.js";
import { KILL_FORMATS } from "./trial-model.js";

// Issue 16: a save killed at any moment leaves the old or the new model loadable, never a mix,
// and the next save removes what the killed one left. 20 trials per format here; the long run
// (`pnpm kill-trials --per-format 100 --write`) puts its table into docs/reliability.md.
describe("SIGKILL during saves", () => {
  it("20 kills per format: always the old or the new model, no leftovers after the next save", {
    timeout: 600_000,
  }, async () => {
    const tallies = await runKillTrials({ formats: KILL_FORMATS, perFormat: 20, seed: 1616, maxDelayMs: 400 });
    for (const t of tallies) {
      expect({
        format: t.format,
        mix: t.mix,
        unloadable: t.unloadable,
        leftovers: t.leftovers,
        failures: t.failures,
      }).toEqual({
        format: t.format,
        mix: 0,
        unloadable: 0,
        leftovers: 0,
        failures: [],
      });
      expect(t.old + t.new).toBe(20);
    }
    // The kills must land inside saves, or the test proves nothing: the multi-file formats' saves
    // are long enough that most do.
    const multi = tallies.filter(
      (t) => t.format === "checkpoint" || t.format === "savedmodel" || t.format === "sharded",
    );
    expect(multi.reduce((n, t) => n + t.midSave, 0)).toBeGreaterThan(10);
  });
});
