import type { TensorInfo, WasmKernelScope } from "./composite.js";
import { heapF32 } from "./composite.js";
import { CONV_GEMM_MODULE, convGemmModule, PART_ARITY, PartKind } from "./conv-gemm-module.js";
import { gemmCall, ownProductFaster } from "./gemm-simd.js";
import { copyIntoGrid } from "./grid-copy.js";
import { kernelParts, runPartCalls, splitRange } from "./kernel-pool.js";
import { envVar, relaxedSimd } from "./wasm-encode.js";

// A stride-1, dilation-1 convolution (NHWC, float32) as products of our own (./gemm-simd.ts),
// with no patch matrix ("implicit GEMM"). The input lies on a zero-padded grid [batch, gridH,
// gridW, inC] whose padding rows and columns neighbouring images and rows share (as the filter
// gradient's, ./conv-filter-grad.ts); output position p of the same grid is the sum over taps
// (i, j) of grid[p + i * gridW + j, :] · W[i, j]. A filter row's kW taps read kW * inC values
// in a row from (p + i * gridW) * inC on, so the convolution is one product C = A · W with
// W as [kH * kW * inC, outC] (HWIO as it lies), A's rows inC values apart (they overlap) and K
// in kH blocks of kW * inC values, block i read gridW * inC values further along each row
// (the product's `ablk`). C holds a row per grid position of each image up to its last output
// (in whole tiles of 4 rows); the rows of padding columns are wasted work (14x14 "same": 8 %
// more rows than outputs; 7x7: 14 %; 32x32: 3 %). A SIMD pass then copies the output rows
// into [batch, outH, outW, outC], adding the bias and clamping at zero where asked (f32x4.max:
// NaN stays NaN). The kernel pool's threads (./kernel-pool.ts) take whole images: their
// products and their outputs' pass in one part (./conv-gemm-module.ts). Every output is a plain float32 sum over taps and
// channels in order, whatever the thread count (row splits), in another order than XNNPACK's.
// KERASTORE_WASM_SIMD_CONV: "0" never, "1" wherever it can run, "input-grad" for input
// gradients only, unset: see convProductApplies.

/** Rows of C a product call covers (its K blocks go over them before the next call's). */
const CHUNK_ROWS = 128;
/** Multiply-adds a part at least when a convolution is split across the kernel pool. */
const PRODUCT_PART = 1 << 21;
/** Input channels under which XNNPACK stays (K = 9 x inC: a short product). */
const MIN_IN_CHANNELS = 16;

/**
 * Whether a stride-1, dilation-1 convolution with `inC` input and `outC` output channels runs
 * here rather than on XNNPACK: KERASTORE_WASM_SIMD_CONV "0" never, "1" wherever the module runs
 * (outC a multiple of 4), "input-grad" as unset but never forward; unset: where our product
 * runs on as many threads as XNNPACK (./gemm-simd.ts ownProductFaster) and inC (the input's, or
 * for Conv2D's input gradient the output gradient's, channels) is at least
 * {@link MIN_IN_CHANNELS}: for input gradients, and for the forward pass too where the product
 * is fused (relaxed SIMD). Measured on two threads (docs/training.md): the input gradients of
 * the CNN's 7x7x128 -> 64 1.09-1.14x faster, of the ResNet's 1.05-1.08x, the CNN's 14x14x64 ->
 * 32 1.00-1.04x; the forward Conv2D + bias + ReLU unfused 0.85-1.02x (14x14x32 -> 64) and
 * 0.93-0.99x (7x7x64 -> 128), fused 1.03-1.13x and 1.1-1.3x.
 */
export function convProductApplies(backend: object, inC: number, outC: number, use: "forward" | "input-grad"): boolean {
  // Read on every call: a benchmark switches it to compare.
  const env = envVar("KERASTORE_WASM_SIMD_CONV");
  if (env === "0" || outC % 4 !== 0 || convGemmModule(backend) === null) return false;
  if (env === "1") return true;
  if (env === "input-grad") return use === "input-grad" && inC >= MIN_IN_CHANNELS && ownProductFaster(backend);
  return (use === "input-grad" || relaxedSimd()) && inC >= MIN_IN_CHANNELS && ownProductFaster(backend);
}

/** Output size and the padding before the first row and column of a stride-1 convolution. */
export interface ConvPlacement {
  outHeight: number;
  outWidth: number;
  top: number;
  left: number;
}

/**
 * The stride-1, dilation-1 convolution of x [batch, H, W, inC] with filter [kH, kW, inC, outC]
 * (float32, NHWC; outC a multiple of 4; 0 <= top < kH, 0 <= left < kW), plus `bias` [outC]
 * where given, then clamped at zero where `relu` (only with a bias): [batch, outH, outW,
 * outC], a tensor of `k`'s (kept by the caller).
 */
export function convByProduct(
  k: WasmKernelScope,
  x: TensorInfo,
  filter: TensorInfo,
  { outHeight: oh, outWidth: ow, top, left }: ConvPlacement,
  bias: TensorInfo | null = null,
  relu = false,
): TensorInfo {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw, , n] = filter.shape as [number, number, number, number];
  const gh = Math.max(top + h, oh + kh - 1 - top);
  const gw = Math.max(left + w, ow + kw - 1 - left);
  const image = gh * gw;
  // Rows of C an image takes: up to its last output, in whole tiles of 4 (the padding rows
  // between images left out); the last output's furthest read past the last image is zero too.
  const perImage = Math.min(image, Math.ceil(((oh - 1) * gw + ow) / 4) * 4);
  const tail = Math.max(0, perImage + (kh - 1) * gw + kw - 1 - image);
  const rows = (b - 1) * image + perImage;
  const grid = k.output([(b * image + tail) * c]);
  const out = k.output([b, oh, ow, n]);
  const cm = k.output([rows * n]);
  // Addresses after the last allocation (a growing memory detaches older views).
  const addr = (t: TensorInfo) => heapF32(k.backend, t).byteOffset;
  const [ga, fa, ca, oa] = [addr(grid), addr(filter), addr(cm), addr(out)];
  const ba = bias === null ? 0 : addr(bias);
  const kk = kh * kw * c;
  const [cb, nb] = [c * 4, n * 4];
  const call = (kind: number, args: number[]) => [
    kind,
    ...args,
    ...new Array<number>(PART_ARITY - 1 - args.length).fill(0),
  ];
  // The grid placed on the calling thread (placed by the parts' threads, each its images, the
  // convolution took 4-13 ms instead of 4-5 on two threads: the CNN's 14x14x32 -> 64 layer).
  copyIntoGrid(heapF32(k.backend, x), heapF32(k.backend, grid), [b, h, w, c], [gh, gw], [top, left]);
  // Parts of whole images, each run by one thread: it multiplies and writes their outputs.
  const parts = Math.min(b, kernelParts(k.backend, b * perImage * kk * n, PRODUCT_PART));
  const fn = bias === null ? PartKind.plain : relu ? PartKind.biasRelu : PartKind.bias;
  const calls = splitRange(b, parts).map(([i0, i1]) => {
    const part: number[] = [];
    for (let i = i0; i < i1; i++)
      for (let r = 0; r < perImage; r += CHUNK_ROWS) {
        const at = i * image + r;
        const product = gemmCall(
          { at: ga + at * cb, stride: c },
          { at: fa, stride: n },
          { at: ca + at * nb, stride: n },
          [Math.min(CHUNK_ROWS, perImage - r), kk, n],
          kw * c,
          gw * c,
        );
        part.push(...call(PartKind.gemm, product));
      }
    for (let i = i0; i < i1; i++)
      part.push(...call(fn, [ca + i * image * nb, oa + i * oh * ow * nb, ba, oh, ow * nb, nb, gw * nb, ow * nb]));
    return part;
  });
  runPartCalls(k.backend, CONV_GEMM_MODULE, "part", PART_ARITY, calls);
  k.backend.disposeData(grid.dataId);
  k.backend.disposeData(cm.dataId);
  return out;
}
