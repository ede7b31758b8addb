import { CheckpointError } from "./errors.js";
import { cannot } from "@kerastore/core";

/** A decoded varint and the offset just after it. */
export interface Decoded {
  value: number;
  next: number;
}

/**
 * Reads a varint (up to 64 bits) at `at`, not past `end`, as a safe integer.
 *
 * Values above 2^53 are rejected: every size and offset in a checkpoint must fit a file.
 */
export function readVarint(bytes: Uint8Array, at: number, end: number, where: string): Decoded {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at >= end) throw new CheckpointError("corrupt", cannot("read", where, "a varint runs past the end"));
    const b = bytes[at++]!;
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value))
        throw new CheckpointError("corrupt", cannot("read", where, "a varint is too large"));
      return { value, next: at };
    }
    scale *= 128;
  }
  throw new CheckpointError("corrupt", cannot("read", where, "a varint is longer than 10 bytes"));
}

/** Appends the varint of a non-negative safe integer to `out`. */
export function pushVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** Bytes the varint of `value` takes. */
export function varintLength(value: number): number {
  let n = 1;
  let v = value;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Reads a little-endian uint32. */
export function readFixed32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Writes a little-endian uint32. */
export function writeFixed32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = (value >>> 24) & 0xff;
}
