import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { CONV_BIAS_RELU } from "./conv-bias-relu.js";
import { convProductApplies } from "./conv-gemm.js";
import { registerWasmKernels } from "./index.js";

// Stride-1 convolutions on our product (./conv-gemm.ts), KERASTORE_WASM_SIMD_CONV=1: the
// forward Conv2D + bias + ReLU and Conv2D's input gradient against their definitions summed in
// float64, over filter sizes, "same" and "valid", channel counts around the product's tiles,
// and against XNNPACK (=0) within float error; NaN and infinities carried.

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.61 + seed) * 2);
}

interface Case {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  pad: "same" | "valid";
}

/** The convolution's output (bias, ReLU) or its input gradient, by definition in float64. */
function reference(
  c: Case,
  info: tf.backend_util.Conv2DInfo,
  xv: Float32Array,
  wv: Float32Array,
  extra: Float32Array,
  grad: boolean,
): Float64Array {
  const { b, h, w, ci, co, kh, kw } = c;
  const [oh, ow, top, left] = [info.outHeight, info.outWidth, info.padInfo.top, info.padInfo.left];
  const out = new Float64Array(grad ? b * h * w * ci : b * oh * ow * co);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const [y, x] = [oy + i - top, ox + j - left];
            if (y < 0 || y >= h || x < 0 || x >= w) continue;
            for (let q = 0; q < ci; q++)
              for (let o = 0; o < co; o++) {
                const wt = wv[((i * kw + j) * ci + q) * co + o]!;
                if (grad) out[((n * h + y) * w + x) * ci + q]! += extra[((n * oh + oy) * ow + ox) * co + o]! * wt;
                else out[((n * oh + oy) * ow + ox) * co + o]! += xv[((n * h + y) * w + x) * ci + q]! * wt;
              }
          }
  if (!grad) for (let p = 0; p < out.length; p++) out[p] = Math.max(0, out[p]! + extra[p % co]!);
  return out;
}

const CASES: Case[] = [
  { b: 3, h: 14, w: 14, ci: 32, co: 64, kh: 3, kw: 3, pad: "same" },
  { b: 2, h: 7, w: 7, ci: 64, co: 128, kh: 3, kw: 3, pad: "same" },
  { b: 2, h: 9, w: 6, ci: 8, co: 12, kh: 3, kw: 3, pad: "same" },
  { b: 3, h: 5, w: 9, ci: 12, co: 4, kh: 4, kw: 2, pad: "same" },
  { b: 3, h: 8, w: 11, ci: 16, co: 20, kh: 5, kw: 3, pad: "valid" },
  { b: 2, h: 6, w: 5, ci: 4, co: 4, kh: 2, kw: 2, pad: "same" },
  { b: 2, h: 6, w: 5, ci: 1, co: 4, kh: 2, kw: 2, pad: "same" },
  { b: 1, h: 4, w: 4, ci: 24, co: 8, kh: 1, kw: 1, pad: "valid" },
  { b: 2, h: 5, w: 5, ci: 300, co: 8, kh: 3, kw: 3, pad: "same" },
];

const previous = process.env.KERASTORE_WASM_SIMD_CONV;

function run(mode: "0" | "1", body: () => tf.Tensor): Float32Array {
  process.env.KERASTORE_WASM_SIMD_CONV = mode;
  const t = body();
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

describe("stride-1 convolutions on our product", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
    await registerGradients();
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.KERASTORE_WASM_SIMD_CONV;
    else process.env.KERASTORE_WASM_SIMD_CONV = previous;
  });

  it("runs where the switch says", () => {
    process.env.KERASTORE_WASM_SIMD_CONV = "1";
    expect(convProductApplies(tf.backend(), 4, 8, "forward")).toBe(true);
    expect(convProductApplies(tf.backend(), 32, 6, "input-grad")).toBe(false); // outC not a multiple of 4
    expect(convProductApplies(tf.backend(), 1, 32, "forward")).toBe(true);
    process.env.KERASTORE_WASM_SIMD_CONV = "0";
    expect(convProductApplies(tf.backend(), 32, 64, "input-grad")).toBe(false);
    delete process.env.KERASTORE_WASM_SIMD_CONV;
    expect(convProductApplies(tf.backend(), 32, 64, "forward")).toBe(false);
    expect(convProductApplies(tf.backend(), 8, 64, "input-grad")).toBe(false);
  });

  for (const c of CASES) {
    const name = `${c.b}x${c.h}x${c.w}x${c.ci} -> ${c.co}, filter ${c.kh}x${c.kw}, ${c.pad}`;
    const info = tf.backend_util.computeConv2DInfo([c.b, c.h, c.w, c.ci], [c.kh, c.kw, c.ci, c.co], 1, 1, c.pad);
    const xv = values(c.b * c.h * c.w * c.ci, 1);
    const wv = values(c.kh * c.kw * c.ci * c.co, 2).map((v) => v / Math.sqrt(c.kh * c.kw * c.ci));
    const bv = values(c.co, 3);
    const dyv = values(c.b * info.outHeight * info.outWidth * c.co, 4);

    it(`forward with bias and ReLU equals the definition and XNNPACK's within float error: ${name}`, () => {
      const forward = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
          const f = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
          return tf.engine().runKernel(CONV_BIAS_RELU, { x, filter: f, bias: tf.tensor1d(bv) }, {
            strides: [1, 1],
            pad: c.pad,
          } as never) as tf.Tensor;
        });
      const ours = run("1", forward);
      const xnnpack = run("0", forward);
      const want = reference(c, info, xv, wv, bv, false);
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(ours.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(ours[i]! - want[i]!), `value ${i}`).toBeLessThan(5e-6 * scale);
        expect(Math.abs(ours[i]! - xnnpack[i]!), `value ${i} against XNNPACK`).toBeLessThan(5e-6 * scale);
      }
    });

    it(`input gradient equals the definition and XNNPACK's within float error: ${name}`, () => {
      const grad = () =>
        tf.tidy(() => {
          const dy = tf.tensor4d(dyv, [c.b, info.outHeight, info.outWidth, c.co]);
          const f = tf.tensor4d(wv, [c.kh, c.kw, c.ci, c.co]);
          return tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: f }, {
            strides: [1, 1],
            pad: c.pad,
            dataFormat: "NHWC",
            inputShape: [c.b, c.h, c.w, c.ci],
          } as never) as tf.Tensor;
        });
      const ours = run("1", grad);
      const xnnpack = run("0", grad);
      const want = reference(c, info, xv, wv, dyv, true);
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(ours.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs(ours[i]! - want[i]!), `value ${i}`).toBeLessThan(5e-6 * scale);
        expect(Math.abs(ours[i]! - xnnpack[i]!), `value ${i} against XNNPACK`).toBeLessThan(5e-6 * scale);
      }
    });
  }

  it("carries NaN and infinities of the input to the outputs that read them", () => {
    const [b, h, w, ci, co] = [2, 6, 7, 16, 8];
    const xv = values(b * h * w * ci, 5);
    xv[((1 * h + 2) * w + 3) * ci + 4] = Number.NaN;
    xv[((0 * h + 4) * w + 0) * ci + 7] = Number.POSITIVE_INFINITY;
    const wv = values(9 * ci * co, 6).map((v) => Math.abs(v) + 0.01); // positive: +Inf stays +Inf
    const forward = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [b, h, w, ci]);
        const f = tf.tensor4d(wv, [3, 3, ci, co]);
        const bias = tf.zeros([co]);
        return tf.engine().runKernel(CONV_BIAS_RELU, { x, filter: f, bias }, {
          strides: [1, 1],
          pad: "same",
        } as never) as tf.Tensor;
      });
    const ours = run("1", forward);
    const xnnpack = run("0", forward);
    const kinds = (v: Float32Array) =>
      Array.from(v, (x) => (Number.isNaN(x) ? "nan" : x === Number.POSITIVE_INFINITY ? "inf" : "finite"));
    const got = kinds(ours);
    expect(got.filter((k) => k === "nan").length).toBe(9 * co);
    expect(got.filter((k) => k === "inf").length).toBe(6 * co); // a corner-side pixel: 2 x 3 windows
    expect(got).toEqual(kinds(xnnpack));
  });
});
