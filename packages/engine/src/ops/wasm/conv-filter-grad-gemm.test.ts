import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import type { Placement, ProductKernel } from "./conv-filter-grad.js";
import {
  type ConvShape,
  filterGradOf,
  filterGradCase,
  waveValues as values,
} from "./filter-grad-reference.test-util.js";
import { registerWasmKernels } from "./index.js";

// The filter gradient's products on our SIMD product (./gemm-simd.ts) against the definition
// summed in float64 and against the same formulation on XNNPACK's product, bit for bit (both
// sum each output over k in order, a multiply then an add, from zero; our K blocks carry the
// partial sum through memory, which float32 keeps exactly): the views of one
// operand (from 16 input channels; one product per row of taps, or per tap), the copied runs
// (fewer channels; one product per group of taps, several groups under a small budget), both
// placements, strides, paddings, and the CNN workload's layer shapes at batch 2.

type Case = [...ConvShape, views: boolean, budget?: number];
const CASES: Case[] = [
  [2, 14, 14, 32, 64, [3, 3], [1, 1], "same", true],
  [2, 7, 7, 64, 128, [3, 3], [1, 1], "same", true],
  [3, 10, 10, 16, 8, [3, 3], [1, 1], "same", true],
  [2, 9, 7, 20, 12, [3, 3], [2, 2], "same", true],
  [1, 8, 11, 16, 5, [3, 5], [1, 1], "valid", true],
  [2, 10, 12, 16, 4, [4, 4], [3, 2], "valid", true],
  [3, 7, 7, 32, 9, [1, 1], [2, 2], "same", true],
  [2, 9, 9, 16, 8, [3, 3], [2, 2], "valid", true, 0],
  [2, 8, 8, 18, 6, [3, 3], [1, 1], "same", true],
  [2, 9, 9, 8, 7, [3, 3], [1, 1], "same", false],
  [2, 11, 9, 6, 13, [5, 3], [2, 1], "same", false],
  [2, 9, 9, 8, 7, [3, 3], [1, 1], "same", false, 8 * 2 * 11 * 11 * 2],
];

function gradOf(
  x: tf.Tensor,
  dy: tf.Tensor,
  info: tf.backend_util.Conv2DInfo,
  [views, budget, place, product]: [boolean, number | undefined, Placement, ProductKernel],
): Float32Array {
  return filterGradOf(x, dy, info, { budget, views, place, product });
}

describe("the filter gradient on our SIMD product", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
  });

  for (const [b, h, w, ci, co, k, s, pad, views, budget] of CASES)
    for (const place of views ? (["simd", "script"] as const) : (["simd"] as const))
      it(`equals the definition, and XNNPACK's bits: ${b}x${h}x${w}x${ci} -> ${co}, filter ${k}, stride ${s} ${pad}, ${views ? `views, ${place} placement` : "copied runs"}${budget !== undefined ? `, budget ${budget}` : ""}`, () => {
        const info = tf.backend_util.computeConv2DInfo([b, h, w, ci], [k[0], k[1], ci, co], s, 1, pad);
        const { want, scale, x, dy } = filterGradCase(info);
        const ours = gradOf(x, dy, info, [views, budget, place, "simd"]);
        const xnnpack = gradOf(x, dy, info, [views, budget, place, "xnnpack"]);
        tf.dispose([x, dy]);
        expect(ours.length).toBe(want.length);
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(ours[i]! - want[i]!), `value ${i}`).toBeLessThan(5e-6 * scale);
        expect(ours, "against XNNPACK").toEqual(xnnpack);
      });

  it("carries a NaN of the input where XNNPACK's product does", () => {
    // The grid's zero positions meet wrapped reads (0 · NaN): a NaN also reaches taps that do
    // not read its pixel, in either product; the two must agree.
    const info = tf.backend_util.computeConv2DInfo([1, 6, 6, 16], [3, 3, 16, 8], [1, 1], 1, "valid");
    const xv = values(6 * 6 * 16, 3);
    xv[(2 * 6 + 3) * 16 + 5] = Number.NaN; // pixel (2, 3), channel 5
    const x = tf.tensor4d(xv, [1, 6, 6, 16]);
    const dy = tf.tensor4d(values(4 * 4 * 8, 4), [1, 4, 4, 8]);
    const nan = (product: ProductKernel) =>
      Array.from(gradOf(x, dy, info, [true, undefined, "simd", product]), (v, i) => (Number.isNaN(v) ? i : -1)).filter(
        (i) => i >= 0,
      );
    const ours = nan("simd");
    const xnnpack = nan("xnnpack");
    tf.dispose([x, dy]);
    expect(ours).toContain((0 * 16 + 5) * 8); // tap (0, 0) reads the pixel (at output (2, 3))
    expect(ours.length).toBeLessThan(9 * 16 * 8);
    expect(ours).toEqual(xnnpack);
  });
});
