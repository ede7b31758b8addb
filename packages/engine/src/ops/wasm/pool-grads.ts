import * as tf from "@tensorflow/tfjs-core";
import { composite, heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { kernelParts, runParts, splitRange } from "./kernel-pool.js";
import { MAX_POOL_GRAD_MODULE, simdMaxPoolGrad } from "./max-pool-grad-simd.js";

/** Input elements per part under which MaxPool's gradient runs on one thread (./kernel-pool.ts). */
const MAX_POOL_GRAD_PART = 1 << 17;

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

type Args = {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  attrs: PoolAttrs;
  backend: KernelBackend;
};

/**
 * MaxPool's input gradient, routing each window's gradient to the first of its maxima in
 * row-major order, as TensorFlow does (WASM's own MaxPoolGrad takes the last). Written in
 * JavaScript over the WASM memory: one pass over the input, the windows' channels side by side
 * (XNNPACK has no such kernel; built from WASM's kernels it took ~50x the forward pool's time).
 * Windows that neither overlap nor need padding, over channels a multiple of 4, run the same
 * loop as WebAssembly SIMD (./max-pool-grad-simd.ts; ~10x faster, same bits).
 */
export function maxPoolGrad(args: Args): TensorInfo {
  return maxPoolGradBy(args, true);
}

/** {@link maxPoolGrad}, with the SIMD loop or (`simd` false) the JavaScript loop alone. */
export function maxPoolGradBy({ inputs, attrs, backend }: Args, simd: boolean): TensorInfo {
  const { dy, input } = inputs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return composite(backend, inputs, (k) => {
    const out = k.output(input.shape);
    if (simd && input.dtype === "float32" && dy.dtype === "float32" && windowsBySimd(backend, input, dy, out, info))
      return out;
    // Views after the last allocation (a growing memory detaches older ones).
    const dx = heapF32(backend, out);
    const x = heapF32(backend, input);
    const g = heapF32(backend, dy);
    dx.fill(0);
    const [b, h, w, c] = input.shape as [number, number, number, number];
    const [oh, ow] = [info.outHeight, info.outWidth];
    const [sh, sw, fh, fw] = [info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth];
    const [top, left] = [info.padInfo.top, info.padInfo.left];
    const best = new Float32Array(c);
    const at = new Int32Array(c);
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        const y0 = oy * sh - top;
        for (let ox = 0; ox < ow; ox++) {
          const x0 = ox * sw - left;
          at.fill(-1);
          for (let fy = 0; fy < fh; fy++) {
            const iy = y0 + fy;
            if (iy < 0 || iy >= h) continue;
            for (let fx = 0; fx < fw; fx++) {
              const ix = x0 + fx;
              if (ix < 0 || ix >= w) continue;
              const base = ((n * h + iy) * w + ix) * c;
              for (let ch = 0; ch < c; ch++) {
                const v = x[base + ch]!;
                if (at[ch]! < 0 || v > best[ch]!) {
                  best[ch] = v;
                  at[ch] = base + ch;
                }
              }
            }
          }
          const gBase = ((n * oh + oy) * ow + ox) * c;
          for (let ch = 0; ch < c; ch++) {
            const i = at[ch]!;
            if (i >= 0) dx[i] = dx[i]! + g[gBase + ch]!;
          }
        }
      }
    }
    return out;
  });
}

/**
 * The gradient by the SIMD loop, when it applies (windows apart, no padding, channels a
 * multiple of 4) and can run here: fills `out` and returns true; else false.
 */
function windowsBySimd(
  backend: KernelBackend,
  input: TensorInfo,
  dy: TensorInfo,
  out: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): boolean {
  const [b, h, w, c] = input.shape as [number, number, number, number];
  const [oh, ow] = [info.outHeight, info.outWidth];
  const [sh, sw, fh, fw] = [info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth];
  const p = info.padInfo;
  if (c % 4 !== 0 || sh < fh || sw < fw || p.top !== 0 || p.left !== 0) return false;
  if ((oh - 1) * sh + fh > h || (ow - 1) * sw + fw > w) return false;
  const simd = simdMaxPoolGrad(backend);
  if (simd === null) return false;
  const dx = heapF32(backend, out);
  // Cells no window covers keep a zero gradient.
  if (sh !== fh || sw !== fw || oh * sh !== h || ow * sw !== w) dx.fill(0);
  const [xa, ga, da] = [heapF32(backend, input).byteOffset, heapF32(backend, dy).byteOffset, dx.byteOffset];
  const rowBytes = w * c * 4;
  const gRow = ow * c * 4;
  // Rows of windows of every image, split across the kernel pool's threads (disjoint dx rows).
  const total = b * oh;
  const parts = splitRange(total, kernelParts(backend, b * h * w * c, MAX_POOL_GRAD_PART));
  const args = parts.map(([s, e]) => {
    const [n, k] = [Math.floor(s / oh), s % oh];
    const at = n * h * rowBytes + k * sh * rowBytes;
    return [xa + at, ga + s * gRow, da + at, e - s, ow, c * 4, fh, fw, sw * c * 4, rowBytes, sh * rowBytes];
  });
  const gap = (h - oh * sh) * rowBytes;
  runParts(
    backend,
    MAX_POOL_GRAD_MODULE,
    "windows",
    args.map((a, i) => [...a, oh, gap, parts[i]![0] % oh]),
  );
  return true;
}
