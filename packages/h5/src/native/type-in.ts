import type { NumericDType } from "@kerastore/core";
import { BodyIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import { CLASS, type H5Type, PADS } from "./h5-type.js";

const MAX_RANK = 32;

/**
 * Decodes a datatype message into one of the types Keras files use. Anything else (big-endian
 * numbers, compounds, references, odd bit layouts) is Unsupported, so h5wasm reads it instead.
 */
export function decodeType(bytes: Uint8Array): H5Type {
  const body = new BodyIn(bytes, "datatype message");
  const head = body.u8();
  const cls = head & 0x0f;
  const b0 = body.u8();
  const b1 = body.u8();
  body.u8();
  const size = body.u32();
  switch (cls) {
    case CLASS.fixed: {
      if (b0 & 0x01) throw new Unsupported("big-endian integers");
      const offset = body.u16();
      const precision = body.u16();
      const signed = (b0 & 0x08) !== 0;
      const dtype = INTS[size]?.[signed ? 0 : 1];
      if (dtype === undefined || offset !== 0 || precision !== size * 8)
        throw new Unsupported(`a ${size}-byte integer type`);
      return { kind: "number", dtype };
    }
    case CLASS.float: {
      if (b0 & 0x41) throw new Unsupported("big-endian or VAX floats");
      const offset = body.u16();
      const precision = body.u16();
      const layout = [body.u8(), body.u8(), body.u8(), body.u8(), body.u32()];
      const want = FLOATS[size];
      const ieee =
        want !== undefined &&
        offset === 0 &&
        precision === size * 8 &&
        b1 === want[0] &&
        want.slice(1).every((v, i) => v === layout[i]);
      if (!ieee) throw new Unsupported(`a ${size}-byte float type that is not IEEE`);
      return { kind: "number", dtype: size === 2 ? "float16" : size === 4 ? "float32" : "float64" };
    }
    case CLASS.string: {
      const pad = PADS[b0 & 0x0f];
      const cset = b0 >> 4;
      if (pad === undefined || cset > 1) throw new Unsupported("a string padding or character set");
      if (size === 0) throw new Fault("a fixed-length string type has size 0");
      return { kind: "fixed-string", size, pad, cset: cset === 1 ? "utf8" : "ascii" };
    }
    case CLASS.opaque:
      if (size === 2) return { kind: "number", dtype: "bfloat16" };
      throw new Unsupported(`a ${size}-byte opaque type`);
    case CLASS.enum:
      if (size === 1) return { kind: "number", dtype: "bool" };
      throw new Unsupported(`a ${size}-byte enum type`);
    case CLASS.vlen: {
      const pad = PADS[(b0 >> 4) & 0x0f];
      const cset = b1 & 0x0f;
      if ((b0 & 0x0f) !== 1 || pad === undefined || cset > 1) throw new Unsupported("a variable-length sequence");
      return { kind: "vlen-string", pad, cset: cset === 1 ? "utf8" : "ascii" };
    }
    default:
      throw new Unsupported(`datatype class ${cls}`);
  }
}

const INTS: Record<number, [NumericDType, NumericDType]> = {
  1: ["int8", "uint8"],
  2: ["int16", "uint16"],
  4: ["int32", "uint32"],
  8: ["int64", "uint64"],
};

/** [sign bit, exponent location, exponent size, mantissa location, mantissa size, bias]. */
const FLOATS: Record<number, number[]> = {
  2: [15, 10, 5, 0, 10, 15],
  4: [31, 23, 8, 0, 23, 127],
  8: [63, 52, 11, 0, 52, 1023],
};

/** A dataspace: `null` for HDF5's null space (no elements), else the dimensions (`[]` scalar). */
export function decodeDataspace(bytes: Uint8Array): number[] | null {
  const body = new BodyIn(bytes, "dataspace message");
  const version = body.u8();
  const rank = body.u8();
  body.u8(); // flags: maximum dimensions and permutation follow the dimensions; not needed
  if (rank > MAX_RANK) throw new Fault(`a dataspace has rank ${rank}`);
  let type = rank === 0 ? 0 : 1;
  if (version === 1) body.skip(5);
  else if (version === 2) type = body.u8();
  else throw new Fault(`dataspace version ${version}`);
  if (type === 2) return null;
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = body.u64();
    if (d === UNDEF) throw new Fault("a dataspace dimension is undefined");
    dims.push(d);
  }
  return dims;
}
