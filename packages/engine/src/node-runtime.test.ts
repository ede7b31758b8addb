import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EngineError } from "./errors.js";
import { defaultWasmDir, nodeRuntimeHooks } from "./node-runtime.js";

describe("the Node runtime hooks", () => {
  it("find the three .wasm files of the installed tfjs-backend-wasm", () => {
    const dir = nodeRuntimeHooks.defaultWasmPaths()!;
    expect(dir).toBe(defaultWasmDir());
    for (const f of ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(() => nodeRuntimeHooks.checkWasmPaths(dir)).not.toThrow();
  });

  it("name the missing files, the folder and the fix for a folder without them", () => {
    const empty = mkdtempSync(join(tmpdir(), "kerastore-wasm-"));
    let error: unknown;
    try {
      nodeRuntimeHooks.checkWasmPaths(empty);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).message).toBe(
      `cannot set up the wasm backend: tfjs-backend-wasm.wasm, tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm not found in ${empty}; pass wasmPaths pointing at tfjs-backend-wasm's dist folder`,
    );
    expect((error as EngineError).path).toBe(empty);
  });

  it("leave URL prefixes to the fetch that loads them", () => {
    expect(() => nodeRuntimeHooks.checkWasmPaths("https://cdn.example/wasm/")).not.toThrow();
  });
});

describe("a program's own uncaught errors after the WASM backend starts", () => {
  const child = (threads: number, how: "throw" | "reject") =>
    spawnSync(
      process.execPath,
      ["--conditions=source", "--import", "tsx", join(__dirname, "uncaught-child.test-util.ts"), String(threads), how],
      { encoding: "utf8", env: { ...process.env, KERASTORE_WASM_THREADS: "" }, timeout: 120_000 },
    );

  for (const threads of [1, 2])
    for (const how of ["throw", "reject"] as const)
      it(`end the program as Node does, reported from the program, not tfjs's glue (${threads} thread(s), ${how})`, () => {
        const r = child(threads, how);
        expect(r.status).toBe(1);
        // tfjs-backend-wasm's Emscripten module adds a rethrowing listener for each event: gone.
        expect(JSON.parse(r.stdout.trim().split("\n")[0]!)).toEqual({ uncaughtException: 0, unhandledRejection: 0 });
        expect(r.stderr).toContain(how === "throw" ? "the user's own error" : "the user's own rejection");
        expect(r.stderr).toContain("uncaught-child.test-util.ts");
        // The glue's one minified line (tens of kilobytes) is not printed above the error.
        expect(r.stderr).not.toContain("GROWABLE_HEAP");
        expect(r.stderr.length).toBeLessThan(4000);
      });
});
