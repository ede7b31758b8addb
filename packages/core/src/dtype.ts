import { CoreError, cannot } from "./errors.js";

/**
 * The element types Kerastore moves between formats, by their NumPy / Keras names.
 *
 * `float16` and `bfloat16` are held as raw 16-bit patterns (`Uint16Array`); use
 * `decodeFloat16` / `encodeFloat16` and the bfloat16 pair to convert. `string` tensors hold
 * byte strings, as TensorFlow does.
 */
export type DType =
  | "bool"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "float16"
  | "bfloat16"
  | "float32"
  | "float64"
  | "complex64"
  | "complex128"
  | "string";

/** The numeric (fixed-width) dtypes: every dtype but `string`. */
export type NumericDType = Exclude<DType, "string">;

/** The TypedArray each numeric dtype is held in. */
export interface DTypeArrayMap {
  bool: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  /** Interleaved real, imaginary. */
  complex64: Float32Array;
  /** Interleaved real, imaginary. */
  complex128: Float64Array;
}

/** Any TypedArray that holds numeric tensor data. */
export type NumericArray = DTypeArrayMap[NumericDType];

interface DTypeInfo {
  /** Bytes one element takes on disk. */
  readonly itemSize: number;
  /** TypedArray elements per tensor element (2 for complex). */
  readonly lanes: number;
  readonly make: (buffer: ArrayBuffer, byteOffset: number, length: number) => NumericArray;
  readonly alloc: (length: number) => NumericArray;
}

const INFO: { readonly [D in NumericDType]: DTypeInfo } = {
  bool: info(1, 1, Uint8Array),
  int8: info(1, 1, Int8Array),
  int16: info(2, 1, Int16Array),
  int32: info(4, 1, Int32Array),
  int64: info(8, 1, BigInt64Array),
  uint8: info(1, 1, Uint8Array),
  uint16: info(2, 1, Uint16Array),
  uint32: info(4, 1, Uint32Array),
  uint64: info(8, 1, BigUint64Array),
  float16: info(2, 1, Uint16Array),
  bfloat16: info(2, 1, Uint16Array),
  float32: info(4, 1, Float32Array),
  float64: info(8, 1, Float64Array),
  complex64: info(8, 2, Float32Array),
  complex128: info(16, 2, Float64Array),
};

type ArrayCtor = {
  new (length: number): NumericArray;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

function info(itemSize: number, lanes: number, ctor: ArrayCtor): DTypeInfo {
  return {
    itemSize,
    lanes,
    make: (buffer, byteOffset, length) => new ctor(buffer, byteOffset, length * lanes),
    alloc: (length) => new ctor(length * lanes),
  };
}

const ALL_DTYPES: ReadonlySet<string> = new Set<string>([...Object.keys(INFO), "string"]);

/** True when `name` is a dtype Kerastore knows. */
export function isDType(name: string): name is DType {
  return ALL_DTYPES.has(name);
}

/** Throws a typed error unless `name` is a known dtype. */
export function assertDType(name: string, where = "a tensor"): DType {
  if (!isDType(name)) {
    throw new CoreError("invalid-dtype", cannot("read", where, `unknown dtype "${name}"`));
  }
  return name;
}

/** Bytes one element of `dtype` takes on disk (complex: both parts). */
export function itemSize(dtype: NumericDType): number {
  return INFO[dtype].itemSize;
}

/**
 * Views `bytes` (little-endian, as every format here stores them) as the TypedArray of `dtype`.
 *
 * Copies only when `bytes` is not aligned for the element size; a view otherwise.
 */
export function viewAs<D extends NumericDType>(dtype: D, bytes: Uint8Array): DTypeArrayMap[D] {
  const { itemSize: size, make } = INFO[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new CoreError(
      "size-mismatch",
      cannot("view", `${bytes.byteLength} bytes as ${dtype}`, `not a multiple of ${size}`),
    );
  }
  const count = bytes.byteLength / size;
  const elementBytes = size / INFO[dtype].lanes;
  if (bytes.byteOffset % elementBytes === 0) {
    return make(bytes.buffer as ArrayBuffer, bytes.byteOffset, count) as DTypeArrayMap[D];
  }
  // A copy made by hand: a Node Buffer's slice() is a view of the same memory, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return make(copy.buffer, 0, count) as DTypeArrayMap[D];
}

/** A zero-filled TypedArray for `count` elements of `dtype`. */
export function allocate<D extends NumericDType>(dtype: D, count: number): DTypeArrayMap[D] {
  return INFO[dtype].alloc(count) as DTypeArrayMap[D];
}

/** The bytes of a TypedArray, as a view. */
export function bytesOf(data: NumericArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
