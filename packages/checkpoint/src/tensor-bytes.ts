import {
  type DType,
  type HostTensor,
  type NumericDType,
  bytesOf,
  cannot,
  itemSize,
  sizeOf,
  viewAs,
} from "@kerastore/core";
import { crc32cExtend, maskCrc, unmaskCrc } from "./crc32c.js";
import { CheckpointError } from "./errors.js";
import { pushVarint, readFixed32, readVarint, writeFixed32 } from "./varint.js";

/** A tensor laid out as a bundle stores it: the bytes (as chunks), their count and masked CRC. */
export interface EncodedTensor {
  chunks: Uint8Array[];
  size: number;
  /** Masked CRC32C, as `BundleEntryProto.crc32c` holds it. */
  crc32c: number;
}

/**
 * Lays out a tensor as TensorFlow's BundleWriter does: raw little-endian bytes for fixed-width
 * dtypes (a view, no copy); for strings, the varint lengths, a masked CRC of the lengths, then
 * the bytes.
 */
export function encodeTensor(tensor: HostTensor): EncodedTensor {
  if (tensor.dtype !== "string") {
    const bytes = bytesOf(tensor.data);
    return { chunks: [bytes], size: bytes.length, crc32c: maskCrc(crc32cExtend(0, bytes)) };
  }
  const lengths: number[] = [];
  let crc = 0;
  const word = new Uint8Array(8);
  for (const s of tensor.data) {
    pushVarint(lengths, s.length);
    // The running CRC covers each length as a fixed-width little-endian integer, not the varint.
    if (s.length > 0xffffffff) {
      new DataView(word.buffer).setBigUint64(0, BigInt(s.length), true);
      crc = crc32cExtend(crc, word);
    } else {
      writeFixed32(word, 0, s.length);
      crc = crc32cExtend(crc, word.subarray(0, 4));
    }
  }
  const lengthCrc = new Uint8Array(4);
  writeFixed32(lengthCrc, 0, maskCrc(crc));
  crc = crc32cExtend(crc, lengthCrc);
  let size = lengths.length + 4;
  for (const s of tensor.data) {
    crc = crc32cExtend(crc, s);
    size += s.length;
  }
  return { chunks: [Uint8Array.from(lengths), lengthCrc, ...tensor.data], size, crc32c: maskCrc(crc) };
}

/**
 * Bytes a fixed-width tensor of `dtype` and `shape` must take, or undefined for strings.
 */
export function expectedSize(dtype: DType, shape: readonly number[]): number | undefined {
  return dtype === "string" ? undefined : sizeOf(shape) * itemSize(dtype as NumericDType);
}

/**
 * Turns a tensor's stored bytes back into a HostTensor, verifying the masked CRC when
 * `storedCrc` is given. `where` names the key and file for errors.
 */
export function decodeTensor(
  dtype: DType,
  shape: readonly number[],
  bytes: Uint8Array,
  storedCrc: number | undefined,
  where: string,
): HostTensor {
  if (dtype !== "string") {
    const expected = sizeOf(shape) * itemSize(dtype);
    if (bytes.length !== expected) {
      throw new CheckpointError("corrupt", cannot("read", where, `it has ${bytes.length} bytes, expected ${expected}`));
    }
    if (storedCrc !== undefined && unmaskCrc(storedCrc) !== crc32cExtend(0, bytes)) {
      throw new CheckpointError("crc-mismatch", cannot("read", where, "its CRC32C does not match its bytes"));
    }
    return { dtype, shape: [...shape], data: viewAs(dtype, bytes) } as HostTensor;
  }
  return decodeStrings(shape, bytes, storedCrc, where);
}

function decodeStrings(
  shape: readonly number[],
  bytes: Uint8Array,
  storedCrc: number | undefined,
  where: string,
): HostTensor {
  const count = sizeOf(shape);
  // Every element takes at least one length byte, so a count above the byte count is a lie.
  if (count + 4 > bytes.length) {
    throw new CheckpointError("corrupt", cannot("read", where, `${count} strings cannot fit in ${bytes.length} bytes`));
  }
  const lengths: number[] = [];
  let at = 0;
  let crc = 0;
  const word = new Uint8Array(8);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const d = readVarint(bytes, at, bytes.length, where);
    at = d.next;
    lengths.push(d.value);
    total += d.value;
    if (d.value > 0xffffffff) {
      new DataView(word.buffer).setBigUint64(0, BigInt(d.value), true);
      crc = crc32cExtend(crc, word);
    } else {
      writeFixed32(word, 0, d.value);
      crc = crc32cExtend(crc, word.subarray(0, 4));
    }
  }
  if (at + 4 + total !== bytes.length) {
    throw new CheckpointError(
      "corrupt",
      cannot("read", where, `its string lengths add up to ${total} bytes, but ${bytes.length - at - 4} follow them`),
    );
  }
  const storedLengthCrc = readFixed32(bytes, at);
  if (storedCrc !== undefined && unmaskCrc(storedLengthCrc) !== crc) {
    throw new CheckpointError("crc-mismatch", cannot("read", where, "the CRC32C of its string lengths does not match"));
  }
  if (storedCrc !== undefined) crc = crc32cExtend(crc, bytes.subarray(at, at + 4));
  at += 4;
  const data: Uint8Array[] = [];
  for (const len of lengths) {
    const s = bytes.subarray(at, at + len);
    if (storedCrc !== undefined) crc = crc32cExtend(crc, s);
    data.push(s);
    at += len;
  }
  if (storedCrc !== undefined && unmaskCrc(storedCrc) !== crc) {
    throw new CheckpointError("crc-mismatch", cannot("read", where, "its CRC32C does not match its bytes"));
  }
  return { dtype: "string", shape: [...shape], data };
}
