import { decodeFloat16, encodeFloat16 } from "@kerastore/core";
import type { QuantizationDType } from "./options.js";

/** A weight's `quantization` entry in model.json, as tensorflowjs writes it. */
export interface QuantizationEntry {
  readonly dtype: QuantizationDType;
  /** uint8 / uint16: the value of the quantized 0 (the nudged minimum). */
  readonly min?: number;
  /** uint8 / uint16: the step between two quantized values. */
  readonly scale?: number;
  /** The dtype before quantization (`float32`). */
  readonly original_dtype?: string;
}

/** Quantized bytes of one float32 weight and the entry that says how to read them back. */
export interface Quantized {
  readonly data: Uint8Array | Uint16Array;
  readonly entry: QuantizationEntry;
}

/**
 * Quantizes float32 values as tensorflowjs_converter does: float16 by rounding to the nearest
 * half; uint8 / uint16 by an affine map over [min, max] whose range is nudged (when it holds 0)
 * so that 0 is exactly representable, `q = round((clip(x, min, max) - min) / scale)` with
 * round-half-to-even (numpy's `round`), computed in float64. Every value equal to the first is
 * stored as 0 with scale 1.
 */
export function quantize(values: Float32Array, dtype: QuantizationDType): Quantized {
  if (dtype === "float16") return { data: encodeFloat16(values), entry: { dtype, original_dtype: "float32" } };
  const qmax = dtype === "uint8" ? 255 : 65535;
  const out = dtype === "uint8" ? new Uint8Array(values.length) : new Uint16Array(values.length);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0 || lo === hi) {
    return { data: out, entry: { dtype, min: values.length === 0 ? 0 : lo, scale: 1, original_dtype: "float32" } };
  }
  const { scale, min, max } = affineRange(lo, hi, qmax);
  for (let i = 0; i < values.length; i++) {
    const clipped = Math.min(Math.max(values[i]!, min), max);
    out[i] = roundHalfEven((clipped - min) / scale);
  }
  return { data: out, entry: { dtype, min, scale, original_dtype: "float32" } };
}

/** The converter's range: scale over the data's span, min/max nudged so 0 lands on a step when covered. */
export function affineRange(lo: number, hi: number, qmax: number): { scale: number; min: number; max: number } {
  const scale = (hi - lo) / qmax;
  if (lo <= 0 && 0 <= hi) {
    const zero = roundHalfEven((0 - lo) / scale);
    const min = -zero * scale;
    return { scale, min, max: qmax * scale + min };
  }
  return { scale, min: lo, max: hi };
}

/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The float32 values a quantized weight stands for: `q * scale + min`, or the halves widened. */
export function dequantize(bytes: Uint8Array, entry: QuantizationEntry, count: number): Float32Array {
  if (entry.dtype === "float16") return decodeFloat16(new Uint16Array(copyOf(bytes).buffer, 0, count));
  const q = entry.dtype === "uint8" ? bytes.subarray(0, count) : new Uint16Array(copyOf(bytes).buffer, 0, count);
  const out = new Float32Array(count);
  const scale = entry.scale ?? 1;
  const min = entry.min ?? 0;
  for (let i = 0; i < count; i++) out[i] = q[i]! * scale + min;
  return out;
}

function copyOf(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 2 === 0
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice()
    : bytes.slice();
}

/** Bytes per element of a quantized dtype. */
export function quantizedItemSize(dtype: QuantizationDType): number {
  return dtype === "uint8" ? 1 : 2;
}
