import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultWasmDir } from "./node-runtime.js";
import { threadpoolAddress } from "./node-wasm-threads.js";
import { isSmallKernel, kernelWork, SMALL_ELEMENTWISE, SMALL_PRODUCT } from "./wasm-small-ops.js";

// Which kernels run on the calling thread in the threaded build, and where its pool global is.
// That clearing it runs kernels on one thread with the same results: training/threads.test.ts.

describe("small kernels on one thread", () => {
  it("measures a product's work in multiply-adds and anything else by its largest input", () => {
    const a = { shape: [32, 64] };
    expect(kernelWork("BatchMatMul", { a, b: { shape: [64, 256] } }, {})).toBe(32 * 64 * 256);
    expect(kernelWork("BatchMatMul", { a, b: { shape: [256, 64] } }, { transposeB: true })).toBe(32 * 64 * 256);
    expect(kernelWork("Conv2D", { x: { shape: [32, 28, 28, 1] }, filter: { shape: [3, 3, 1, 32] } }, {})).toBe(
      32 * 28 * 28 * 9 * 32,
    );
    expect(kernelWork("Add", { a, b: { shape: [64] } }, {})).toBe(32 * 64);
  });

  it("runs an LSTM step's product and gates on one thread, a CNN's convolution and an MLP's product on the pool", () => {
    expect(isSmallKernel("BatchMatMul", { a: { shape: [32, 64] }, b: { shape: [64, 256] } }, {})).toBe(true);
    expect(isSmallKernel("Multiply", { a: { shape: [32, 256] }, b: { shape: [32, 256] } }, {})).toBe(true);
    expect(isSmallKernel("Conv2D", { x: { shape: [32, 28, 28, 1] }, filter: { shape: [3, 3, 1, 32] } }, {})).toBe(
      false,
    );
    expect(isSmallKernel("_FusedMatMul", { a: { shape: [256, 784] }, b: { shape: [784, 512] } }, {})).toBe(false);
    expect(isSmallKernel("Relu", { x: { shape: [32, 28, 28, 32] } }, {})).toBe(false);
    expect(SMALL_PRODUCT).toBeGreaterThan(SMALL_ELEMENTWISE);
  });

  it("finds the pool global in the installed threaded build, and nothing in bytes that are not one", () => {
    const wasm = readFileSync(join(defaultWasmDir(), "tfjs-backend-wasm-threaded-simd.wasm"));
    const address = threadpoolAddress(wasm);
    expect(Number.isInteger(address) && address! > 0 && address! % 4 === 0).toBe(true);
    expect(threadpoolAddress(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toBeUndefined();
    expect(threadpoolAddress(wasm.subarray(0, 4096))).toBeUndefined();
  });
});
