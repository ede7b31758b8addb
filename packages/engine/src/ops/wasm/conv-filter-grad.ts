import type * as tf from "@tensorflow/tfjs-core";
import { heapF32, type TensorInfo, type WasmKernelScope } from "./composite.js";
import { smallFilterGrad, smallFilterGradApplies } from "./conv-filter-grad-small.js";
import { gemmCall, ownProductFaster, runGemmCalls } from "./gemm-simd.js";
import { copyIntoGrid } from "./grid-copy.js";
import { placeRuns, placeRunsApplies, type RunLayout } from "./conv-filter-place.js";
import { heapView, releaseHeapView } from "./heap-view.js";

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
//
// From 16 input channels the runs are not copied per tap (filterGradByViews): XNNPACK packs its
// second operand (G) on every product, at about as much as one tap's products cost, and copying
// every tap's runs costs about as much as all the products. There the products read views of
// one buffer and all share one G, packed once; a stride-1 grid also shares zero padding between
// images and rows (fewer grid positions). With input channels by 4s that buffer is written by a
// WebAssembly SIMD loop (./conv-filter-place.ts: ~1.5 ms instead of ~5 at [32, 32, 32, 32]),
// one copy per filter column, each clipped to its grid row, so the grid needs no zero columns.

/** Values of the copied runs one product takes at most (64 MiB): larger filters take several. */
const PRODUCT_BUDGET = 1 << 24;

/** How the views' operand is written: the SIMD loop of ./conv-filter-place.ts where it applies, or JavaScript. */
export type Placement = "simd" | "script";

/**
 * Which product runs: ours (./gemm-simd.ts: reads the output-gradient grid as it lies) or
 * XNNPACK's (tfjs's BatchMatMul: packs the grid first, on its threads). By default ours where
 * it is the faster (`ownProductFaster`).
 */
export type ProductKernel = "simd" | "xnnpack";

/** Input channels from which {@link filterGradByViews} is used (measured faster from 16 on). */
const VIEW_CHANNELS = 16;

/**
 * Whether {@link filterGradByProduct} is the faster formulation for this convolution, as
 * measured on XNNPACK (2026-12, tfjs-backend-wasm 4.22): when the grid that formulation sums
 * over adds few multiply-adds (the grid it really uses: from 16 input channels at stride 1,
 * with shared padding), or when the input has few channels (the one convolution then has a
 * tiny "filter" dimension). With the SIMD placement (./conv-filter-place.ts), a 3x3 "same"
 * gradient over 7x7 maps (a grid 1.31x the outputs) ran as fast as the one convolution
 * (5.9 vs 5.9 ms, 64 -> 128 channels, batch 32), 8x8 11-13% faster, 14x14 15% faster, and
 * 5x5 (1.44x) 9% slower; the copied-runs formulation (fewer input channels) keeps its
 * measured 1.3.
 */
export function productIsFaster(info: tf.backend_util.Conv2DInfo): boolean {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return false;
  if (info.inChannels <= 4) return true;
  const views = info.inChannels >= VIEW_CHANNELS;
  const [gh, gw, end] = productGrid(info, views);
  const outputs = info.batchSize * info.outHeight * info.outWidth;
  return (info.batchSize * gh * gw + end) / outputs <= (views ? 1.35 : 1.3);
}

/**
 * The grid {@link filterGradByProduct} sums over: rows and columns per image, and zero
 * positions after the last image.
 */
function productGrid(info: tf.backend_util.Conv2DInfo, views: boolean): [number, number, number] {
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  if (views && sh === 1 && sw === 1) return sharedPadGrid(info);
  const gh = info.outHeight + Math.floor((info.filterHeight - 1) / sh);
  const gw = info.outWidth + Math.floor((info.filterWidth - 1) / sw);
  return [gh, gw, 0];
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
  views = info.inChannels >= VIEW_CHANNELS,
  place: Placement = "simd",
  product: ProductKernel = ownProductFaster(k.backend) ? "simd" : "xnnpack",
): TensorInfo {
  if (smallFilterGradApplies(k, info)) return smallFilterGrad(k, x, dy, info); // few input channels: a SIMD loop
  if (views) return filterGradByViews(k, x, dy, info, budget, place, product);
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
  const grid = outputGrid(k, dy, [gh, gw]);
  const xv = heapF32(k.backend, x);
  const pv = heapF32(k.backend, phases);
  pv.fill(0);
  for (let pi = 0; pi < ph; pi++)
    for (let pj = 0; pj < pw; pj++)
      placePhase(xv, pv, (pi * pw + pj) * ci * run, run, [b, h, w, ci], [gh, gw], [sh, sw], [pi - top, pj - left]);
  // The taps in groups whose copied runs stay under `budget` values (one product each).
  const taps = kh * kw;
  const group = Math.max(1, Math.min(taps, Math.floor(budget / (ci * q))));
  if (product === "simd") {
    // Our product (./gemm-simd.ts), each group's rows (tap, channel) straight into the filter gradient.
    const out = k.output([kh, kw, ci, co]);
    for (let t0 = 0; t0 < taps; t0 += group) {
      const t1 = Math.min(taps, t0 + group);
      const a = k.output([(t1 - t0) * ci, q]);
      copyTaps(heapF32(k.backend, a), heapF32(k.backend, phases), [t0, t1], [kw, sh, sw, pw, ci], [run, q, gw]);
      const at = (t: TensorInfo) => heapF32(k.backend, t).byteOffset;
      const call = gemmCall(
        { at: at(a), stride: q },
        { at: at(grid), stride: co },
        { at: at(out) + t0 * ci * co * 4, stride: co },
        [(t1 - t0) * ci, q, co],
      );
      runGemmCalls(k.backend, call);
      k.backend.disposeData(a.dataId);
    }
    return out;
  }
  const parts: TensorInfo[] = [];
  for (let t0 = 0; t0 < taps; t0 += group) {
    const t1 = Math.min(taps, t0 + group);
    const a = k.output([1, (t1 - t0) * ci, q]);
    copyTaps(heapF32(k.backend, a), heapF32(k.backend, phases), [t0, t1], [kw, sh, sw, pw, ci], [run, q, gw]);
    parts.push(k.run("BatchMatMul", { a, b: grid }, { transposeA: false, transposeB: false }));
    k.backend.disposeData(a.dataId);
  }
  const all = parts.length === 1 ? parts[0]! : k.run("Concat", parts as never, { axis: 1 });
  return k.reshape(all, [kh, kw, ci, co]);
}

/**
 * The runs of taps t0..t1-1 copied out of the phases (each channel's `run` values long) into
 * rows (tap, channel) of `q` values: tap (i, j) reads phase (i % strideH, j % strideW) shifted
 * by (i / strideH) grid rows and (j / strideW) columns (`gw` = q's grid columns).
 */
function copyTaps(
  av: Float32Array,
  pv: Float32Array,
  [t0, t1]: [number, number],
  [kw, sh, sw, pw, ci]: [number, number, number, number, number],
  [run, q, gw]: [number, number, number],
): void {
  for (let t = t0; t < t1; t++) {
    const [i, j] = [Math.floor(t / kw), t % kw];
    const phase = (i % sh) * pw + (j % sw);
    const shift = Math.floor(i / sh) * gw + Math.floor(j / sw);
    for (let c = 0; c < ci; c++) {
      const src = (phase * ci + c) * run + shift;
      av.set(pv.subarray(src, src + q), ((t - t0) * ci + c) * q);
    }
  }
}

/**
 * {@link filterGradByProduct} without copying runs per tap: products over views of one buffer
 * (./heap-view.ts), all with the same output-gradient grid, which XNNPACK then packs once (its
 * operator cache is keyed on that operand). Packing that operand ([grid positions, outC]) costs
 * about as much as the products of one tap, so paying it once matters; copying runs for every
 * tap costs about as much as all the products.
 *
 * The phases are laid out with each channel's row exactly `q` grid positions long, and a
 * product's operand is a [rows, q] view with row stride q. With `byRow` (when the copy fits the
 * budget), runs are copied once per filter column (per phase row and channel, the phase of
 * column j % strideW shifted by j / strideW), and each row of taps i is one product over rows
 * (channel, j) shifted by i / strideH grid rows; else each tap is one product over the phase's
 * channel rows, shifted. A shifted row reads past its end into the next row (or, for the last,
 * into a zero tail); what it reads there meets the grid's zero rows and columns (the last
 * positions of every grid row and image are such), as the wrapped part of any shifted run does.
 */
function filterGradByViews(
  k: WasmKernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  budget: number,
  place: Placement,
  product: ProductKernel,
): TensorInfo {
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const b = info.batchSize;
  const [ci, co] = [info.inChannels, info.outChannels];
  const [ph, pw] = [Math.min(sh, kh), Math.min(sw, kw)];
  const [dr, dc] = [Math.floor((kh - 1) / sh), Math.floor((kw - 1) / sw)];
  let [gh, gw, end] = productGrid(info, true);
  let q = b * gh * gw + end;
  const byRow = kw > 1 && ph * ci * kw * q <= budget;
  const simd = place === "simd" && placeRunsApplies(k, info);
  // The SIMD placement clips each column's copy to its grid row: no zero grid columns.
  if (simd && byRow) {
    [gh, gw, end] = exactColumnGrid(info);
    q = b * gh * gw + end;
  }
  const cols = byRow ? kw : 1;
  const m = ci * cols;
  const tail = dr * gw + dc;
  let runs: TensorInfo;
  if (simd) {
    runs = k.output([(byRow ? ph * m : ph * pw * ci) * q + tail]);
    placeRuns(k, x, runs, info, { grid: [gh, gw], q, byColumn: byRow });
    const rv = heapF32(k.backend, runs);
    rv.fill(0, rv.length - tail);
  } else runs = placeByScript(k, x, info, { grid: [gh, gw], q, byColumn: byRow }, tail);
  const grid = outputGrid(k, dy, [gh, gw], q);
  const out = k.output([kh, kw, ci, co]);
  const first = (i: number, j: number) =>
    (byRow ? (i % sh) * m * q : ((i % sh) * pw + (j % sw)) * ci * q + Math.floor(j / sw)) + Math.floor(i / sh) * gw;
  if (product === "simd") {
    // Our product (./gemm-simd.ts): G as it lies, no operator; rows (c, jj) of a product, one
    // call per filter column jj (its rows cols * q apart), straight into the filter gradient.
    const at = (t: TensorInfo) => heapF32(k.backend, t).byteOffset;
    const [runsAt, gridAt, outAt] = [at(runs), at(grid), at(out)];
    const calls: number[] = [];
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j += cols)
        for (let jj = 0; jj < cols; jj++)
          calls.push(
            ...gemmCall(
              { at: runsAt + (first(i, j) + jj * q) * 4, stride: cols * q },
              { at: gridAt, stride: co },
              { at: outAt + (i * kw + j + jj) * ci * co * 4, stride: co },
              [ci, q, co],
            ),
          );
    runGemmCalls(k.backend, calls);
    return out;
  }
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j += cols) {
      const a = heapView(k.backend, runs, first(i, j), [1, m, q]);
      let part: TensorInfo;
      try {
        part = k.run("BatchMatMul", { a, b: grid }, { transposeA: false, transposeB: false });
      } finally {
        releaseHeapView(k.backend, a);
      }
      // Row (c, jj) of the product is filter tap (i, j + jj), input channel c.
      const partV = heapF32(k.backend, part);
      const ov = heapF32(k.backend, out);
      for (let c = 0; c < ci; c++)
        for (let jj = 0; jj < cols; jj++)
          ov.set(partV.subarray((c * cols + jj) * co, (c * cols + jj + 1) * co), ((i * kw + j + jj) * ci + c) * co);
      k.backend.disposeData(part.dataId);
    }
  return out;
}

/**
 * The rows {@link placeRuns} writes, in JavaScript (any channel count): the phases, zeroed
 * whole, then (by column) one shifted copy per filter column; `tail` zeros follow the rows.
 */
function placeByScript(
  k: WasmKernelScope,
  x: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  { grid: [gh, gw], q, byColumn }: RunLayout,
  tail: number,
): TensorInfo {
  const [kh, kw, sh, sw] = [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth];
  const [b, h, w, ci] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  const [ph, pw] = [Math.min(sh, kh), Math.min(sw, kw)];
  const m = ci * kw;
  const phases = k.output([ph * pw * ci * q + tail]);
  const runs = byColumn ? k.output([ph * m * q + tail]) : phases;
  const xv = heapF32(k.backend, x);
  const pv = heapF32(k.backend, phases);
  pv.fill(0);
  for (let pi = 0; pi < ph; pi++)
    for (let pj = 0; pj < pw; pj++)
      placePhase(
        xv,
        pv,
        (pi * pw + pj) * ci * q,
        q,
        [b, h, w, ci],
        [gh, gw],
        [sh, sw],
        [pi - info.padInfo.top, pj - info.padInfo.left],
      );
  if (!byColumn) return runs;
  const rv = heapF32(k.backend, runs);
  for (let pi = 0; pi < ph; pi++)
    for (let c = 0; c < ci; c++)
      for (let j = 0; j < kw; j++) {
        const src = ((pi * pw + (j % sw)) * ci + c) * q + Math.floor(j / sw);
        rv.set(pv.subarray(src, src + q), (pi * m + c * kw + j) * q);
      }
  rv.fill(0, ph * m * q);
  k.backend.disposeData(phases.dataId);
  return runs;
}

/**
 * The grid of a stride-1 convolution with images and rows packed tighter than "output plus
 * filter minus one": one image's bottom padding rows double as the next one's top padding (and
 * a row's right padding columns as the next row's left), since both are zero. Returns the rows
 * and columns per image, and the zero positions to add after the last image so that no output
 * position's read runs past the grid. For a 3x3 "same" convolution on 16x16 that is 17x17 per
 * image instead of 18x18 (11% fewer multiply-adds).
 *
 * Grid cell (row, column) of an image holds input pixel (row - top, column - left), or zero;
 * output (y, x) is cell (y, x), and its tap (i, j) reads cell (y + i, x + j) of the flattened
 * grid. The column pitch is the larger of left + width (every pixel has its cell) and
 * outW + kW - 1 - left (a read past a row's end lands in the next row's left padding), and
 * likewise for rows.
 */
function sharedPadGrid(info: tf.backend_util.Conv2DInfo): [number, number, number] {
  const [kh, kw, oh, ow] = [info.filterHeight, info.filterWidth, info.outHeight, info.outWidth];
  const { top, left } = info.padInfo;
  const gh = Math.max(top + info.inHeight, oh + kh - 1 - top);
  const gw = Math.max(left + info.inWidth, ow + kw - 1 - left);
  // The last image's furthest read: output (oh - 1, ow - 1), tap (kh - 1, kw - 1).
  const furthest = (oh + kh - 2) * gw + (ow + kw - 2);
  return [gh, gw, Math.max(0, furthest + 1 - gh * gw)];
}

/**
 * The grid of {@link placeRuns}' column copies: as many columns as the output (a copy holds,
 * at output column x, the column its filter column reads for x, or zero), rows as in
 * {@link productGrid} (at stride 1, shared between images). Returns rows and columns per
 * image, and the zero positions after the last image so that no output's read runs past it.
 */
function exactColumnGrid(info: tf.backend_util.Conv2DInfo): [number, number, number] {
  const [oh, ow, sh] = [info.outHeight, info.outWidth, info.strideHeight];
  const dr = Math.floor((info.filterHeight - 1) / sh);
  const gh = sh === 1 ? Math.max(info.padInfo.top + info.inHeight, oh + dr - info.padInfo.top) : oh + dr;
  return [gh, ow, Math.max(0, (oh + dr - gh) * ow)];
}

/**
 * The output gradient `dy` [batch, outH, outW, outC] on a [batch, gridH, gridW] grid of
 * positions ([1, positions, outC]), zero where the grid has no output.
 */
function outputGrid(
  k: WasmKernelScope,
  dy: TensorInfo,
  [gh, gw]: [number, number],
  positions = dy.shape[0]! * gh * gw,
): TensorInfo {
  const [b, oh, ow, co] = dy.shape as [number, number, number, number];
  const grid = k.output([1, positions, co]);
  const gv = heapF32(k.backend, grid);
  const dv = heapF32(k.backend, dy);
  copyIntoGrid(dv, gv, [b, oh, ow, co], [gh, gw]);
  return grid;
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
