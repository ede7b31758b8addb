import { cannot } from "@kerastore/core";
import { CheckpointError } from "./errors.js";
import { readVarint } from "./varint.js";

/**
 * Decompresses a raw Snappy block (the format LevelDB tables use for compressed blocks).
 *
 * The declared length is checked against `maxLength` before anything is allocated, and every
 * literal and copy is checked against the input and the output written so far.
 */
export function snappyDecompress(input: Uint8Array, maxLength: number, where: string): Uint8Array {
  const fail = (reason: string): never => {
    throw new CheckpointError("corrupt", cannot("decompress", where, reason));
  };
  const head = readVarint(input, 0, Math.min(input.length, 5), where);
  const length = head.value;
  if (length > maxLength) fail(`it declares ${length} bytes, more than the ${maxLength} allowed`);
  const out = new Uint8Array(length);
  let op = 0;
  let ip = head.next;
  const n = input.length;
  while (ip < n) {
    const tag = input[ip++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (ip + extra > n) fail("a literal length runs past the end");
        len = 0;
        for (let k = 0; k < extra; k++) len += input[ip + k]! * 2 ** (8 * k);
        ip += extra;
      }
      len += 1;
      if (ip + len > n) fail("a literal runs past the end of the input");
      if (op + len > length) fail("a literal runs past the declared length");
      out.set(input.subarray(ip, ip + len), op);
      ip += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (ip + 1 > n) fail("a copy runs past the end");
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | input[ip]!;
      ip += 1;
    } else if (kind === 2) {
      if (ip + 2 > n) fail("a copy runs past the end");
      len = (tag >>> 2) + 1;
      offset = input[ip]! | (input[ip + 1]! << 8);
      ip += 2;
    } else {
      if (ip + 4 > n) fail("a copy runs past the end");
      len = (tag >>> 2) + 1;
      offset = (input[ip]! | (input[ip + 1]! << 8) | (input[ip + 2]! << 16) | (input[ip + 3]! << 24)) >>> 0;
      ip += 4;
    }
    if (offset === 0 || offset > op) fail(`a copy reaches back ${offset} bytes from position ${op}`);
    if (op + len > length) fail("a copy runs past the declared length");
    // Copies may overlap their own output (run-length style), so go byte by byte.
    for (let k = 0; k < len; k++, op++) out[op] = out[op - offset]!;
  }
  if (op !== length) fail(`it holds ${op} bytes but declares ${length}`);
  return out;
}
