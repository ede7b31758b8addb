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
