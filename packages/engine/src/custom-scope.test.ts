import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { customObjectScope, openScopes, scopedObjects } from "./custom-scope.js";

const tick = () => new Promise((r) => setTimeout(r, 2));

describe("customObjectScope", () => {
  it("holds across awaits, nests, closes after, and keeps concurrent scopes apart (AsyncLocalStorage)", async () => {
    const seen: unknown[] = [];
    await Promise.all([
      customObjectScope({ A: 1 }, async () => {
        await tick();
        seen.push(scopedObjects());
        await customObjectScope({ B: 2 }, async () => {
          await tick();
          seen.push(scopedObjects());
        });
      }),
      (async () => {
        await tick();
        seen.push(scopedObjects());
      })(),
    ]);
    expect(seen).toContainEqual({ A: 1 });
    expect(seen).toContainEqual({ A: 1, B: 2 });
    expect(seen).toContainEqual({});
    expect(openScopes()).toEqual([]);
  });

  it("without node:async_hooks (a browser), holds across awaits until the promise settles", () => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-scope-"));
    const script = join(dir, "fallback.mts");
    writeFileSync(
      script,
      `delete (process as { getBuiltinModule?: unknown }).getBuiltinModule;
const { customObjectScope, openScopes, scopedObjects } = await import(${JSON.stringify(join(__dirname, "custom-scope.ts"))});
const inside = await customObjectScope({ A: 1 }, async () => { await new Promise((r) => setTimeout(r, 2)); return scopedObjects(); });
const sync = customObjectScope({ B: 2 }, () => scopedObjects());
let threw = false;
try { customObjectScope({ C: 3 }, () => { throw new Error("x"); }); } catch { threw = true; }
console.log(JSON.stringify({ inside, sync, after: openScopes().length, threw }));
`,
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ inside: { A: 1 }, sync: { B: 2 }, after: 0, threw: true });
  });
});
