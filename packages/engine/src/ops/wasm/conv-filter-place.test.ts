import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { composite } from "./composite.js";
import { type Placement, productIsFaster } from "./conv-filter-grad.js";
import { placeRunsApplies } from "./conv-filter-place.js";
import {
  type ConvShape,
  filterGradOf,
  filterGradReference,
  filterGradCase,
  waveValues as values,
} from "./filter-grad-reference.test-util.js";
import { registerWasmKernels } from "./index.js";

// The filter gradient's product formulation with its operand written by the SIMD placement
// (./conv-filter-place.ts) against the definition summed in float64 and against the same
// formulation with the operand written in JavaScript; over strides, paddings, non-square
// inputs and filters, batch 1, channel counts not by 4s (the JavaScript placement), one row
// per tap (no column copies) and the dispatch between the product and the one convolution.

type Case = [...ConvShape, budget?: number];
const CASES: Case[] = [
  [3, 10, 10, 16, 8, [3, 3], [1, 1], "same"],
  [2, 9, 7, 20, 12, [3, 3], [2, 2], "same"],
  [1, 8, 11, 16, 5, [3, 5], [1, 1], "valid"],
  [2, 11, 9, 24, 16, [5, 3], [2, 1], "same"],
  [2, 10, 12, 16, 4, [4, 4], [3, 2], "valid"],
  [3, 7, 7, 32, 8, [1, 1], [2, 2], "same"],
  [2, 6, 9, 16, 8, [3, 3], [1, 1], "same", 0],
  [2, 9, 9, 16, 8, [3, 3], [2, 2], "valid", 0],
  [2, 8, 8, 18, 6, [3, 3], [1, 1], "same"],
  [1, 5, 6, 28, 4, [2, 3], [1, 2], "same"],
];

const reference = filterGradReference;

function productOf(x: tf.Tensor, dy: tf.Tensor, info: tf.backend_util.Conv2DInfo, place: Placement, budget?: number) {
  return filterGradOf(x, dy, info, { budget, views: true, place });
}

describe("the filter gradient's product operand written by the SIMD placement", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
  });

  for (const [b, h, w, ci, co, k, s, pad, budget] of CASES) {
    it(`equals the definition: ${b}x${h}x${w}x${ci} -> ${co}, filter ${k}, stride ${s} ${pad}${budget === 0 ? ", a row per tap" : ""}`, () => {
      const info = tf.backend_util.computeConv2DInfo([b, h, w, ci], [k[0], k[1], ci, co], s, 1, pad);
      const { want, scale, x, dy } = filterGradCase(info);
      const simd = productOf(x, dy, info, "simd", budget);
      const script = productOf(x, dy, info, "script", budget);
      tf.dispose([x, dy]);
      expect(simd.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(simd[i]! - want[i]!), `value ${i}`).toBeLessThan(5e-6 * scale);
        expect(Math.abs(simd[i]! - script[i]!), `value ${i} against JavaScript`).toBeLessThan(2e-6 * scale);
      }
    });
  }

  it("stays correct when the memory it writes held NaN (it zeroes what it does not fill)", () => {
    const info = tf.backend_util.computeConv2DInfo([2, 9, 9, 16], [3, 3, 16, 8], [1, 1], 1, "same");
    const xv = values(2 * 9 * 9 * 16, 3);
    const dyv = values(2 * 9 * 9 * 8, 4);
    const want = reference(xv, dyv, info);
    const scale = Math.max(...Array.from(want, Math.abs));
    // Freed NaN tensors of about the operand's size leave NaN where the next ones are allocated.
    for (let r = 0; r < 3; r++) tf.fill([3 * 16 * 2 * 10 * 10 + 64], Number.NaN).dispose();
    const x = tf.tensor4d(xv, [2, 9, 9, 16]);
    const dy = tf.tensor4d(dyv, [2, 9, 9, 8]);
    const got = productOf(x, dy, info, "simd");
    tf.dispose([x, dy]);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `value ${i}`).toBeLessThan(5e-6 * scale);
  });

  it("applies for input channels by 4s only", () => {
    const kept = composite(tf.backend() as never, {}, (scope) => {
      const at = (ci: number) =>
        placeRunsApplies(scope, tf.backend_util.computeConv2DInfo([1, 8, 8, ci], [3, 3, ci, 8], 1, 1, "same"));
      expect([at(16), at(18), at(32), at(30)]).toEqual([true, false, true, false]);
      return scope.output([1]);
    });
    tf.backend().disposeData(kept.dataId);
  });

  it("is the dispatch's choice for the CNN's 14x14 and 7x7 layers (with the grid it really uses), not for 5x5", () => {
    const at = (s: number, ci: number, co: number) =>
      productIsFaster(tf.backend_util.computeConv2DInfo([32, s, s, ci], [3, 3, ci, co], 1, 1, "same"));
    expect([at(14, 32, 64), at(7, 64, 128), at(32, 32, 32), at(16, 64, 64), at(5, 64, 128), at(4, 128, 128)]).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
