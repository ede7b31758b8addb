import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { currentScope, customObjectScope, defaultRegistry, openScopes, scopedObjects } from "./index.js";

const tick = () => new Promise((r) => setTimeout(r, 2));
const A = () => 1;
const B = () => 2;

describe("customObjectScope", () => {
  it("holds across awaits, nests, closes after, and keeps concurrent scopes apart (AsyncLocalStorage)", async () => {
    const seen: unknown[] = [];
    await Promise.all([
      customObjectScope({ A }, async () => {
        await tick();
        seen.push(scopedObjects());
        await customObjectScope({ B }, async () => {
          await tick();
          seen.push(scopedObjects());
        });
      }),
      (async () => {
        await tick();
        seen.push(scopedObjects());
      })(),
    ]);
    expect(seen).toContainEqual({ A });
    expect(seen).toContainEqual({ A, B });
    expect(seen).toContainEqual({});
    expect(openScopes()).toEqual([]);
  });

  it("without node:async_hooks (a browser), holds across awaits until the promise settles", () => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-scope-"));
    const script = join(dir, "fallback.mts");
    writeFileSync(
      script,
      `delete (process as { getBuiltinModule?: unknown }).getBuiltinModule;
const { customObjectScope, openScopes, scopedObjects } = await import(${JSON.stringify(join(__dirname, "custom-object-scope.ts"))});
const inside = await customObjectScope({ A: () => 1 }, async () => { await new Promise((r) => setTimeout(r, 2)); return Object.keys(scopedObjects()); });
const sync = customObjectScope({ B: () => 2 }, () => Object.keys(scopedObjects()));
let threw = false;
try { customObjectScope({ C: () => 3 }, () => { throw new Error("x"); }); } catch { threw = true; }
console.log(JSON.stringify({ inside, sync, after: openScopes().length, threw }));
`,
    );
    const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ inside: ["A"], sync: ["B"], after: 0, threw: true });
  });

  it("is a registry value: nested scopes layer over the open one, lookups see every open scope", async () => {
    const found = await customObjectScope({ A }, async (outer) => {
      await tick();
      expect(outer.parent).toBe(defaultRegistry);
      return customObjectScope({ B }, (inner) => {
        expect(inner.parent).toBe(outer);
        expect(currentScope()).toBe(inner);
        return [inner.get("A"), inner.get("B")];
      });
    });
    expect(found).toEqual([A, B]);
    expect(currentScope()).toBeUndefined();
  });
});
