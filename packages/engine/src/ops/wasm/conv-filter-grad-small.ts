import type * as tf from "@tensorflow/tfjs-core";
import { heapF32, type TensorInfo, type WasmKernelScope } from "./composite.js";
import { encodeModule, I32, instantiateOnBackend, op, V128, type WasmFunction } from "./wasm-encode.js";
import { copyIntoGrid } from "./grid-copy.js";
import { kernelParts, poolThreads, runPartCalls, splitRange } from "./kernel-pool.js";

// Conv2D's filter gradient for an input of few channels (a network's first layer: 1 for gray
// images, 3 for color), as a WebAssembly SIMD loop on tfjs-backend-wasm's memory. Such a
// gradient is little work (the first layer of the MNIST CNN: 7.2M multiply-adds) but as one
// matrix product (./conv-filter-grad.ts) it is a product of 9 rows by a huge reduction that
// XNNPACK first packs: ~6 ms of overhead for ~1 ms of arithmetic. Here, per image, filter tap
// and input channel, one pass over the image's output positions multiplies the input value the
// tap reads (one float, splat to four lanes) by 16 (or 4) output channels of the output
// gradient, summing in registers; each image's sums are then added to the filter gradient (so
// a sum runs over one image's positions, then over the images in order: no thread or batch
// split changes it). KERASTORE_WASM_SIMD_CONV=0 turns it off.

/** Input channels this path takes at most. */
const MAX_CHANNELS = 4;

type Fn = (...args: number[]) => void;

interface SimdFilterGrad {
  /** (x, dy, dw, oh, ow, xCol, xRow, dyPixel): dw[0..16) += sum x * dy over one image. */
  acc16: Fn;
  /** The same over 4 output channels. */
  acc4: Fn;
}

const { get, set, i32, load, store, simd, loop, exitIf } = op;
const [F32X4_SPLAT, F32X4_ADD, F32X4_MUL] = [0x13, 0xe4, 0xe6];
const add = op.i32Add;
/** f32.load (align 4) of the address on the stack. */
const f32Load = [0x2a, 2, 0];

function accumulate(name: string, vectors: number): WasmFunction {
  const [X, DY, DW, OH, OW, XCOL, XROW, DYPIX] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [OY, OX, XP, XR, DP] = [8, 9, 10, 11, 12];
  const S = 13;
  const acc = (v: number) => 14 + v;
  const lanes = Array.from({ length: vectors }, (_, v) => v);
  const code = [
    ...lanes.flatMap((v) => [...op.zero, ...set(acc(v))]),
    ...[...get(X), ...set(XR), ...get(DY), ...set(DP)],
    ...loop([
      ...[...get(OY), ...get(OH), ...op.i32GeU, ...exitIf],
      ...[...get(XR), ...set(XP), ...i32(0), ...set(OX)],
      ...loop([
        ...[...get(OX), ...get(OW), ...op.i32GeU, ...exitIf],
        ...[...get(XP), ...f32Load, ...simd(F32X4_SPLAT), ...set(S)],
        ...lanes.flatMap((v) => [
          ...[...get(acc(v)), ...get(S), ...get(DP), ...load(16 * v), ...simd(F32X4_MUL)],
          ...[...simd(F32X4_ADD), ...set(acc(v))],
        ]),
        ...[...get(XP), ...get(XCOL), ...add, ...set(XP)],
        ...[...get(DP), ...get(DYPIX), ...add, ...set(DP)],
        ...[...get(OX), ...i32(1), ...add, ...set(OX)],
      ]),
      ...[...get(XR), ...get(XROW), ...add, ...set(XR)],
      ...[...get(OY), ...i32(1), ...add, ...set(OY)],
    ]),
    ...lanes.flatMap((v) => [
      ...get(DW),
      ...get(DW),
      ...load(16 * v),
      ...get(acc(v)),
      ...simd(F32X4_ADD),
      ...store(16 * v),
    ]),
  ];
  return {
    name,
    params: new Array<number>(8).fill(I32),
    locals: [
      [5, I32],
      [1 + vectors, V128],
    ],
    code,
  };
}

const MODULE = "conv-filter-grad-small";
/** Multiply-adds per part under which the gradient runs on one thread (./kernel-pool.ts). */
const SMALL_PART = 1 << 23;

function simdFilterGrad(backend: object): SimdFilterGrad | null {
  return instantiateOnBackend<SimdFilterGrad>(backend, MODULE, "KERASTORE_WASM_SIMD_CONV", (limits) =>
    encodeModule([accumulate("acc16", 4), accumulate("acc4", 1)], limits),
  );
}

/** Whether {@link smallFilterGrad} takes this convolution (few input channels, output channels by 4s). */
export function smallFilterGradApplies(k: WasmKernelScope, info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.inChannels <= MAX_CHANNELS &&
    info.outChannels % 4 === 0 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    simdFilterGrad(k.backend) !== null
  );
}

/**
 * The filter gradient [kH, kW, inC, outC] of `x` [batch, H, W, inC] and `dy`
 * [batch, outH, outW, outC] (float32, NHWC, dilation 1) where {@link smallFilterGradApplies}.
 */
export function smallFilterGrad(
  k: WasmKernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  simdFilterGrad(k.backend);
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [b, h, w, ci] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  const [oh, ow, co] = [info.outHeight, info.outWidth, info.outChannels];
  const [top, left] = [info.padInfo.top, info.padInfo.left];
  // The input, padded: rows and columns every window reads, zero outside the image.
  const ph = Math.max(h + top, (oh - 1) * sh + kh);
  const pw = Math.max(w + left, (ow - 1) * sw + kw);
  const padded = k.output([b, ph, pw, ci]);
  const dw = k.output([kh, kw, ci, co]);
  const pv = heapF32(k.backend, padded);
  const xv = heapF32(k.backend, x);
  copyIntoGrid(xv, pv, [b, h, w, ci], [ph, pw], [top, left]);
  const dv = heapF32(k.backend, dw);
  dv.fill(0);
  const [pa, da, wa] = [pv.byteOffset, heapF32(k.backend, dy).byteOffset, dv.byteOffset];
  const [xCol, xRow, dyPixel] = [sw * ci * 4, sh * pw * ci * 4, co * 4];
  // Units (filter tap, input channel, block of output channels) write disjoint rows of dw:
  // split across the kernel pool's threads by units, each unit's images in order on one thread
  // (the same sums whatever the thread count).
  const units = (width: number, from: number, to: number) => {
    const out: [number, number, number, number][] = [];
    // Output channels outermost: a part reads its own channels of the output gradient.
    for (let j = from; j + width <= to; j += width)
      for (let fy = 0; fy < kh; fy++)
        for (let fx = 0; fx < kw; fx++) for (let c = 0; c < ci; c++) out.push([fy, fx, c, j]);
    return out;
  };
  const wide = co - (co % 16);
  const work = b * oh * ow * kh * kw * ci * co;
  for (const [fn, list] of [
    ["acc16", units(16, 0, wide)],
    ["acc4", units(4, wide, co)],
  ] as const) {
    if (list.length === 0) continue;
    // One part a thread at most: a part passes over every image's output gradient once.
    const most = Math.min(list.length, poolThreads(k.backend));
    const parts = splitRange(list.length, Math.min(most, kernelParts(k.backend, work, SMALL_PART)));
    const calls = parts.map(([s, e]) => {
      const out: number[] = [];
      for (let n = 0; n < b; n++) {
        const image = da + n * oh * ow * dyPixel;
        for (const [fy, fx, c, j] of list.slice(s, e)) {
          const xAt = pa + (((n * ph + fy) * pw + fx) * ci + c) * 4;
          const wAt = wa + ((fy * kw + fx) * ci + c) * co * 4;
          out.push(xAt, image + j * 4, wAt + j * 4, oh, ow, xCol, xRow, dyPixel);
        }
      }
      return out;
    });
    runPartCalls(k.backend, MODULE, fn, 8, calls);
  }
  return dw;
}
