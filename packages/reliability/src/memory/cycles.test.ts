import { describe, expect, it } from "vitest";
import { loadDisposeCycles } from "./cycles.js";

// Issue 16 (3): loaded models could not be freed (the 43rd load of a 50 MB .h5 aborted the WASM
// backend). Load + dispose in a loop holds backend tensors and WASM memory flat. The long run
// (`pnpm memory-cycles --megabytes 50 --cycles 500 --write`) is in docs/reliability.md.
describe("load/dispose cycles", () => {
  it("20 cycles of an 8 MB model: tensors, WASM memory and RSS stay flat", { timeout: 300_000 }, async () => {
    const r = await loadDisposeCycles({ megabytes: 8, cycles: 20, every: 4, warmup: 4 });
    expect(r.peakTensors).toBe(r.baseline.tensors);
    expect(r.peakWasm).toBeLessThanOrEqual(r.baseline.wasm * 1.1);
    // Sampled after the freed buffers are given back (see settle in cycles.ts), RSS holds within
    // 1-2%; a leak of the 20 loads would add ~160 MB to a ~240 MB baseline.
    expect(r.peakRss).toBeLessThanOrEqual(r.baseline.rss * 1.1);
    // Without dispose, 20 loads of 8 MB would hold ~160 MB: the check can fail.
    expect(r.fileBytes).toBeGreaterThan(7 * 2 ** 20);
  });
});
