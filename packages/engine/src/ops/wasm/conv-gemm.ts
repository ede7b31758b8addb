import type { WasmKernelScope, TensorInfo } from "./composite.js";
import { heapF32 } from "./composite.js";
import { GEMM_ARITY, gemmCall, gemmSimd, ownProductFaster } from "./gemm-simd.js";
import { copyIntoGrid } from "./grid-copy.js";
import { kernelParts, runPartCalls, splitRange } from "./kernel-pool.js";
import { encodeModule, I32, instantiateOnBackend, op, SIMD, V128, type WasmFunction } from "./wasm-encode.js";

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
// more rows than outputs; 7x7: 14 %; 32x32: 3 %). One SIMD pass
// then copies the output rows into [batch, outH, outW, outC], adding the bias and clamping at
// zero where asked (f32x4.max: NaN stays NaN). Every output is a plain float32 sum over taps and
// channels in order, whatever the thread count (row splits), in another order than XNNPACK's.
// KERASTORE_WASM_SIMD_CONV: "0" never, "1" wherever it can run, unset: see convProductApplies.

/** Rows of C a product call covers (its K blocks go over them before the next call's). */
const CHUNK_ROWS = 128;
/** Multiply-adds a part at least when the product is split across the kernel pool. */
const PRODUCT_PART = 1 << 21;
/** Values a part at least when the output pass is split. */
const PASS_PART = 1 << 19;
/** Input channels under which XNNPACK stays (measured: see docs/training.md). */
const MIN_IN_CHANNELS = 16;

const MODULE = "conv-gemm-out";

interface OutPass {
  /** (c, out, bias, lines, lineBytes, nBytes, cPitch, outPitch): see {@link outPass}. */
  plain: (...args: number[]) => void;
  bias: (...args: number[]) => void;
  biasRelu: (...args: number[]) => void;
}

/**
 * For `lines` lines (cPitch bytes apart in c, outPitch in out) of lineBytes bytes each (a
 * multiple of nBytes, itself of 16): out = c (+ bias, with nBytes bytes of it repeating)
 * (max 0). 
 */
function outPass(name: string, bias: boolean, relu: boolean): WasmFunction {
  const { get, set, i32, load, store, simd, loop, exitIf } = op;
  const add = op.i32Add;
  const [CB, OUT, BIAS, LINES, LINE, NB, CP, OP] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [L, S, D, END, J] = [8, 9, 10, 11, 12];
  const V = 13;
  const value = [
    ...get(S),
    ...load(),
    ...(bias ? [...get(BIAS), ...get(J), ...add, ...load(), ...simd(SIMD.f32x4Add)] : []),
    ...(relu ? [...op.zero, ...simd(0xe9)] : []), // f32x4.max
    ...set(V),
  ];
  const code = [
    ...loop([
      ...[...get(L), ...get(LINES), ...op.i32GeU, ...exitIf],
      ...[...get(CB), ...get(L), ...get(CP), ...op.i32Mul, ...add, ...set(S)],
      ...[...get(OUT), ...get(L), ...get(OP), ...op.i32Mul, ...add, ...set(D)],
      ...[...get(S), ...get(LINE), ...add, ...set(END)],
      ...loop([
        ...[...get(S), ...get(END), ...op.i32GeU, ...exitIf],
        ...[...i32(0), ...set(J)],
        ...loop([
          ...[...get(J), ...get(NB), ...op.i32GeU, ...exitIf],
          ...value,
          ...[...get(D), ...get(V), ...store()],
          ...[...get(S), ...i32(16), ...add, ...set(S)],
          ...[...get(D), ...i32(16), ...add, ...set(D)],
          ...[...get(J), ...i32(16), ...add, ...set(J)],
        ]),
      ]),
      ...[...get(L), ...i32(1), ...add, ...set(L)],
    ]),
  ];
  return {
    name,
    params: new Array<number>(8).fill(I32),
    locals: [
      [5, I32],
      [1, V128],
    ],
    code,
  };
}

function outPassModule(backend: object): OutPass | null {
  return instantiateOnBackend<OutPass>(backend, MODULE, "KERASTORE_WASM_SIMD_CONV", (limits) =>
    encodeModule([outPass("plain", false, false), outPass("bias", true, false), outPass("biasRelu", true, true)], limits),
  );
}

/**
 * Whether a stride-1, dilation-1 convolution with `inC` input and `outC` output channels runs
 * here rather than on XNNPACK: KERASTORE_WASM_SIMD_CONV "0" never, "1" wherever the modules run
 * (outC a multiple of 4); unset: where our product runs on as many threads as XNNPACK
 * (./gemm-simd.ts ownProductFaster) and inC is at least {@link MIN_IN_CHANNELS}.
 */
export function convProductApplies(backend: object, inC: number, outC: number): boolean {
  // Read on every call: a benchmark switches it to compare.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.KERASTORE_WASM_SIMD_CONV;
  if (env === "0" || outC % 4 !== 0 || gemmSimd(backend) === null || outPassModule(backend) === null) return false;
  if (env === "1") return true;
  return inC >= MIN_IN_CHANNELS && ownProductFaster(backend);
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
 * where given, clamped at zero where `relu`: [batch, outH, outW, outC], a tensor of `k`'s
 * (kept by the caller).
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
  // Views after the last allocation (a growing memory detaches older ones).
  const gv = heapF32(k.backend, grid);
  copyIntoGrid(heapF32(k.backend, x), gv, [b, h, w, c], [gh, gw], [top, left]);
  const [ga, fa, ca, oa] = [gv.byteOffset, ...[filter, cm, out].map((t) => heapF32(k.backend, t).byteOffset)] as [
    number,
    number,
    number,
    number,
  ];
  const kk = kh * kw * c;
  // Parts of whole images, each image's rows in calls of up to CHUNK_ROWS rows.
  const parts = Math.min(b, kernelParts(k.backend, b * perImage * kk * n, PRODUCT_PART));
  const calls = splitRange(b, parts).map(([i0, i1]) => {
    const part: number[] = [];
    for (let i = i0; i < i1; i++)
      for (let r = 0; r < perImage; r += CHUNK_ROWS) {
        const at = i * image + r;
        part.push(
          ...gemmCall(
            { at: ga + at * c * 4, stride: c },
            { at: fa, stride: n },
            { at: ca + at * n * 4, stride: n },
            [Math.min(CHUNK_ROWS, perImage - r), kk, n],
            kw * c,
            gw * c,
          ),
        );
      }
    return part;
  });
  runPartCalls(k.backend, "gemm-simd", "gemm", GEMM_ARITY, calls);
  // One pass call per image.
  const ba = bias === null ? 0 : heapF32(k.backend, bias).byteOffset;
  const fn = bias === null ? "plain" : relu ? "biasRelu" : "bias";
  const imageCalls = Array.from({ length: b }, (_, i) => [
    ca + i * image * n * 4,
    oa + i * oh * ow * n * 4,
    ba,
    oh,
    ow * n * 4,
    n * 4,
    gw * n * 4,
    ow * n * 4,
  ]);
  const passParts = Math.min(b, kernelParts(k.backend, b * oh * ow * n, PASS_PART));
  runPartCalls(
    k.backend,
    MODULE,
    fn,
    8,
    splitRange(b, passParts).map(([s, e]) => imageCalls.slice(s, e).flat()),
  );
  k.backend.disposeData(grid.dataId);
  k.backend.disposeData(cm.dataId);
  return out;
}
