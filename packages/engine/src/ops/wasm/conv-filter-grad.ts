import type * as tf from "@tensorflow/tfjs-core";
import { heapF32, type TensorInfo, type WasmKernelScope } from "./composite.js";
import { smallFilterGrad, smallFilterGradApplies } from "./conv-filter-grad-small.js";

// Conv2D's filter gradient (NHWC, no dilation) as one plain matrix product, at XNNPACK's
// matrix-product speed. XNNPACK runs the one-convolution formulation of ./conv-grads.ts (batch
// as channels, the output gradient as a huge filter) at about half that speed, and tfjs's
// transposed products at a tenth.
//
// The product sums over a "wide" grid of output positions: for stride s, the padded input is
// split into s x s phases (rows and columns p, p + s, p + 2s, ...), each laid out channels
// first as [inC, batch * gridH * gridW]; tap (i, j) reads phase (i % s, j % s) shifted by
// (i / s) rows and (j / s) columns, which on the flattened grid is a shift by one offset: a
// contiguous run per channel. The output gradient is placed on the same grid, zero where no
// output is (the grid's extra rows and columns, where a shifted run wraps into the next row or
// image). So with A = [taps * inC, grid positions] (the runs, copied) and G = [grid positions,
// outC], dW = A · G is [kH, kW, inC, outC] as is. The zero rows add (gridH * gridW) /
// (outH * outW) - 1 of multiply-adds (13% for a 3x3 "same" convolution on 32x32).

/** Values of the copied runs one product takes at most (64 MiB): larger filters take several. */
const PRODUCT_BUDGET = 1 << 24;

/**
 * Whether {@link filterGradByProduct} is the faster formulation for this convolution, as
 * measured on XNNPACK (2026-12, tfjs-backend-wasm 4.22): when the wide grid adds at most 30%
 * multiply-adds (feature maps of 16x16 and up for 3x3 filters, any 1x1 filter), or when the
 * input has few channels (the one convolution then has a tiny "filter" dimension).
 */
export function productIsFaster(info: tf.backend_util.Conv2DInfo): boolean {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return false;
  const gh = info.outHeight + Math.floor((info.filterHeight - 1) / info.strideHeight);
  const gw = info.outWidth + Math.floor((info.filterWidth - 1) / info.strideWidth);
  return (gh * gw) / (info.outHeight * info.outWidth) <= 1.3 || info.inChannels <= 4;
}

/**
 * The filter gradient [kH, kW, inC, outC] of `x` [batch, H, W, inC] and `dy`
 * [batch, outH, outW, outC] (both float32, NHWC) for the convolution described by `info`
 * (dilation 1). `budget`: values of copied runs one product takes at most.
 */
export function filterGradByProduct(
  k: WasmKernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  budget = PRODUCT_BUDGET,
): TensorInfo {
  if (smallFilterGradApplies(k, info)) return smallFilterGrad(k, x, dy, info); // few input channels: a SIMD loop
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [b, h, w] = [info.batchSize, info.inHeight, info.inWidth];
  const [oh, ow, ci, co] = [info.outHeight, info.outWidth, info.inChannels, info.outChannels];
  const [top, left] = [info.padInfo.top, info.padInfo.left];
  const [ph, pw] = [Math.min(sh, kh), Math.min(sw, kw)];
  const gh = oh + Math.floor((kh - 1) / sh);
  const gw = ow + Math.floor((kw - 1) / sw);
  const q = b * gh * gw;
  // A shift of up to (gridH - outH) rows and (gridW - outW) columns reads past the last image.
  const run = q + (gh - oh) * gw + (gw - ow);
  const phases = k.output([ph * pw, ci, run]);
  const grid = k.output([1, q, co]);
  const xv = heapF32(k.backend, x);
  const pv = heapF32(k.backend, phases);
  pv.fill(0);
  for (let pi = 0; pi < ph; pi++)
    for (let pj = 0; pj < pw; pj++)
      placePhase(xv, pv, (pi * pw + pj) * ci * run, run, [b, h, w, ci], [gh, gw], [sh, sw], [pi - top, pj - left]);
  const gv = heapF32(k.backend, grid);
  const dv = heapF32(k.backend, dy);
  gv.fill(0);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++) {
      const src = (n * oh + oy) * ow * co;
      gv.set(dv.subarray(src, src + ow * co), (n * gh + oy) * gw * co);
    }
  // The taps in groups whose copied runs stay under `budget` values (one product each).
  const taps = kh * kw;
  const group = Math.max(1, Math.min(taps, Math.floor(budget / (ci * q))));
  const parts: TensorInfo[] = [];
  for (let t0 = 0; t0 < taps; t0 += group) {
    const t1 = Math.min(taps, t0 + group);
    const a = k.output([1, (t1 - t0) * ci, q]);
    const av = heapF32(k.backend, a);
    const pv = heapF32(k.backend, phases);
    for (let t = t0; t < t1; t++) {
      const [i, j] = [Math.floor(t / kw), t % kw];
      const phase = (i % sh) * pw + (j % sw);
      const shift = Math.floor(i / sh) * gw + Math.floor(j / sw);
      for (let c = 0; c < ci; c++) {
        const src = (phase * ci + c) * run + shift;
        av.set(pv.subarray(src, src + q), ((t - t0) * ci + c) * q);
      }
    }
    parts.push(k.run("BatchMatMul", { a, b: grid }, { transposeA: false, transposeB: false }));
    k.backend.disposeData(a.dataId);
  }
  const all = parts.length === 1 ? parts[0]! : k.run("Concat", parts as never, { axis: 1 });
  return k.reshape(all, [kh, kw, ci, co]);
}

/**
 * Writes one phase of the padded input, channels first, into `dst` at `base` (channel c at
 * base + c * stride): grid cell (n, gy, gx) is input pixel (gy * strideH + offH,
 * gx * strideW + offW) of image n; cells outside the input stay as they are (zero).
 */
function placePhase(
  x: Float32Array,
  dst: Float32Array,
  base: number,
  stride: number,
  [b, h, w, c]: [number, number, number, number],
  [gh, gw]: [number, number],
  [sh, sw]: [number, number],
  [offH, offW]: [number, number],
): void {
  const gx0 = Math.max(0, Math.ceil(-offW / sw));
  const gx1 = Math.min(gw, Math.floor((w - 1 - offW) / sw) + 1);
  for (let n = 0; n < b; n++) {
    for (let gy = 0; gy < gh; gy++) {
      const iy = gy * sh + offH;
      if (iy < 0 || iy >= h) continue;
      const cell = base + (n * gh + gy) * gw;
      const pixel = ((n * h + iy) * w + offW) * c;
      for (let gx = gx0; gx < gx1; gx++) {
        const s = pixel + gx * sw * c;
        for (let ch = 0; ch < c; ch++) dst[cell + ch * stride + gx] = x[s + ch]!;
      }
    }
  }
}
