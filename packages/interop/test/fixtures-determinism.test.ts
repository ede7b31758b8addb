import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fixturesDir, repoRoot } from "@kerastore/fixtures";
import { runPython } from "../src/index.js";

// The fixture script, run twice, writes identical files apart from the differences the fixtures
// README names (check_determinism.py holds that list), and a fresh run equals the committed data.
describe("the fixture generator", () => {
  it("is deterministic and the committed fixtures are current", { timeout: 900_000 }, async () => {
    const script = join(repoRoot, "packages/fixtures/python/check_determinism.py");
    const result = await runPython(
      `import runpy, sys; sys.argv = ${JSON.stringify([script, "--against", fixturesDir])}; runpy.run_path(sys.argv[0], run_name="__main__")`,
      {
        allowFailure: true,
        timeoutMs: 880_000,
      },
    );
    const unexpected = result.stdout.split("\n").filter((l) => /^(ONLY IN ONE RUN|DIFFERS)/.test(l));
    expect(unexpected).toEqual([]);
    expect(result.stdout).toMatch(/\d+ identical, \d+ known differences, 0 unexpected/);
    expect(result.code).toBe(0);
  });
});
