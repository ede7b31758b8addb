import type { NumericDType } from "@kerastore/core";
import { BytesOut } from "./bytes-out.js";
import { H5Error } from "../errors.js";

/** String padding as HDF5 numbers it (H5T_str_t). */
export type StringPad = "nullterm" | "nullpad" | "spacepad";
/** String character set as HDF5 numbers it (H5T_cset_t). */
export type Charset = "ascii" | "utf8";

/** The HDF5 datatypes Keras files use, as this package models them. */
export type H5Type =
  | { readonly kind: "number"; readonly dtype: NumericDType }
  | { readonly kind: "fixed-string"; readonly size: number; readonly pad: StringPad; readonly cset: Charset }
  | { readonly kind: "vlen-string"; readonly pad: StringPad; readonly cset: Charset };

export const PADS: readonly StringPad[] = ["nullterm", "nullpad", "spacepad"];

/** HDF5 type classes (the low nibble of a datatype message's first byte). */
export const CLASS = { fixed: 0, float: 1, string: 3, opaque: 5, enum: 8, vlen: 9 } as const;

/** Bytes one element of the type takes in a dataset or attribute (vlen: length + heap id). */
export function typeSize(type: H5Type): number {
  if (type.kind === "fixed-string") return type.size;
  if (type.kind === "vlen-string") return 16;
  return NUMBER_SIZE[type.dtype];
}

const NUMBER_SIZE: Record<NumericDType, number> = {
  float16: 2,
  bfloat16: 2,
  float32: 4,
  float64: 8,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
  complex64: 8,
  complex128: 16,
} as Record<NumericDType, number>;

/** IEEE layouts: [sign bit, exponent location, exponent size, mantissa size, bias]. */
const FLOAT_LAYOUT: Record<number, [number, number, number, number, number]> = {
  2: [15, 10, 5, 10, 15],
  4: [31, 23, 8, 23, 127],
  8: [63, 52, 11, 52, 1023],
};

/** The body of a datatype message for `type`, as h5py 3 / HDF5 1.14 write it (version 1). */
export function encodeType(type: H5Type): Uint8Array {
  const out = new BytesOut();
  writeType(out, type);
  return out.result().slice();
}

function header(out: BytesOut, cls: number, bits: [number, number, number], size: number): void {
  out
    .u8((1 << 4) | cls)
    .u8(bits[0])
    .u8(bits[1])
    .u8(bits[2])
    .u32(size);
}

function writeFixed(out: BytesOut, size: number, signed: boolean): void {
  header(out, CLASS.fixed, [signed ? 0x08 : 0, 0, 0], size);
  out.u16(0).u16(size * 8);
}

function writeType(out: BytesOut, type: H5Type): void {
  if (type.kind === "fixed-string") {
    header(out, CLASS.string, [PADS.indexOf(type.pad) | ((type.cset === "utf8" ? 1 : 0) << 4), 0, 0], type.size);
    return;
  }
  if (type.kind === "vlen-string") {
    // Variable-length sequence of type 1 (string); its base is an unsigned byte.
    header(out, CLASS.vlen, [1 | (PADS.indexOf(type.pad) << 4), type.cset === "utf8" ? 1 : 0, 0], 16);
    writeFixed(out, 1, false);
    return;
  }
  const { dtype } = type;
  switch (dtype) {
    case "float16":
    case "float32":
    case "float64": {
      const size = NUMBER_SIZE[dtype];
      const [sign, expAt, expSize, mantSize, bias] = FLOAT_LAYOUT[size]!;
      // Little-endian, no padding, implied leading mantissa bit (normalization 2).
      header(out, CLASS.float, [0x20, sign, 0], size);
      out
        .u16(0)
        .u16(size * 8)
        .u8(expAt)
        .u8(expSize)
        .u8(0)
        .u8(mantSize)
        .u32(bias);
      return;
    }
    case "bfloat16":
      // Keras 3 / h5py store ml_dtypes.bfloat16 as a 2-byte opaque type with an empty tag.
      header(out, CLASS.opaque, [0, 0, 0], 2);
      return;
    case "bool":
      // h5py's bool: an enum over int8 with members FALSE = 0, TRUE = 1.
      header(out, CLASS.enum, [2, 0, 0], 1);
      writeFixed(out, 1, true);
      for (const name of ["FALSE", "TRUE"]) {
        const bytes = new TextEncoder().encode(name);
        out.bytes(bytes).zeros(8 - bytes.length);
      }
      out.u8(0).u8(1);
      return;
    case "int8":
    case "int16":
    case "int32":
    case "int64":
      writeFixed(out, NUMBER_SIZE[dtype], true);
      return;
    case "uint8":
    case "uint16":
    case "uint32":
    case "uint64":
      writeFixed(out, NUMBER_SIZE[dtype], false);
      return;
    default:
      throw new H5Error("unsupported", `cannot write a ${dtype} dataset: HDF5 has no type for it`);
  }
}
