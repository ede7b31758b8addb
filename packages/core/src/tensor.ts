import { type DTypeArrayMap, type NumericArray, type NumericDType, allocate, itemSize } from "./dtype.js";
import { CoreError, cannot } from "./errors.js";
import { decodeBfloat16, decodeFloat16 } from "./half.js";

/**
 * A tensor's values on the host: row-major, little-endian, with no backend attached.
 *
 * This is the currency between formats and the engine. `data` is a TypedArray for numeric
 * dtypes and an array of byte strings for `string` (TensorFlow strings are bytes, and some,
 * like a checkpoint's object graph, are not text).
 */
export type HostTensor = NumericHostTensor | StringHostTensor;

/** A HostTensor of a fixed-width dtype. */
export interface NumericHostTensor<D extends NumericDType = NumericDType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeArrayMap[D];
}

/** A HostTensor of byte strings. */
export interface StringHostTensor {
  readonly dtype: "string";
  readonly shape: readonly number[];
  readonly data: readonly Uint8Array[];
}

/** The number of elements a shape holds (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Throws unless every dimension is a non-negative safe integer. */
export function assertShape(shape: readonly number[], where = "a tensor"): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new CoreError("invalid-shape", cannot("use", where, `bad shape [${shape.join(", ")}]`));
    }
  }
}

/**
 * Makes a numeric HostTensor, checking that `data` holds exactly `shape`'s elements.
 */
export function hostTensor<D extends NumericDType>(
  dtype: D,
  shape: readonly number[],
  data: DTypeArrayMap[D],
): NumericHostTensor<D> {
  assertShape(shape);
  const lanes = dtype === "complex64" || dtype === "complex128" ? 2 : 1;
  if (data.length !== sizeOf(shape) * lanes) {
    throw new CoreError(
      "size-mismatch",
      cannot("make", `a ${dtype} tensor of shape [${shape.join(", ")}]`, `${data.length / lanes} values given`),
    );
  }
  return { dtype, shape: [...shape], data };
}

/** Makes a string HostTensor from text (UTF-8 encoded) or raw bytes. */
export function stringTensor(shape: readonly number[], values: readonly (string | Uint8Array)[]): StringHostTensor {
  assertShape(shape);
  if (values.length !== sizeOf(shape)) {
    throw new CoreError(
      "size-mismatch",
      cannot("make", `a string tensor of shape [${shape.join(", ")}]`, `${values.length} values given`),
    );
  }
  const encoder = new TextEncoder();
  return {
    dtype: "string",
    shape: [...shape],
    data: values.map((v) => (typeof v === "string" ? encoder.encode(v) : v)),
  };
}

/** The elements of a string tensor as text (UTF-8). */
export function stringValues(tensor: StringHostTensor): string[] {
  const decoder = new TextDecoder();
  return tensor.data.map((b) => decoder.decode(b));
}

/** A zero-filled numeric HostTensor. */
export function zeros<D extends NumericDType>(dtype: D, shape: readonly number[]): NumericHostTensor<D> {
  assertShape(shape);
  return { dtype, shape: [...shape], data: allocate(dtype, sizeOf(shape)) };
}

/** Bytes a numeric tensor of this dtype and shape takes. */
export function byteSizeOf(dtype: NumericDType, shape: readonly number[]): number {
  return sizeOf(shape) * itemSize(dtype);
}

/**
 * The values of a real numeric tensor as float32 (float16 and bfloat16 decoded; 64-bit
 * integers converted through Number). A view when the tensor already is float32.
 */
export function toFloat32(tensor: HostTensor): Float32Array {
  switch (tensor.dtype) {
    case "float32":
      return tensor.data as Float32Array;
    case "float16":
      return decodeFloat16(tensor.data as Uint16Array);
    case "bfloat16":
      return decodeBfloat16(tensor.data as Uint16Array);
    case "string":
    case "complex64":
    case "complex128":
      throw new CoreError("unsupported", cannot("convert", `a ${tensor.dtype} tensor`, "it has no float32 form"));
    default:
      return numericToFloat32(tensor.data as NumericArray);
  }
}

function numericToFloat32(data: NumericArray): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** True when two shapes are the same. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** A short text form of a shape, as Python prints it: `(3, 4)`, `(5,)`, `()`. */
export function formatShape(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? "None" : String(d)));
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
}
