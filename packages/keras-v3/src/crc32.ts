/**
 * CRC-32 (the zip polynomial 0xEDB88320), slicing by eight bytes at a time.
 *
 * The archive writer and reader run it over every weight byte. The portable code here does
 * about 1 GB/s; where a platform has a faster kernel (the package's Node entry installs
 * `@node-rs/crc32`, about 13 GB/s with the CPU's carry-less multiply), `setCrc32Kernel` plugs it
 * in and `crc32` uses it for all but short inputs.
 */
import { cannot, kernelDisagreement } from "@kerastore/core";
import { KerasV3Error } from "./errors.js";

const TABLES: Int32Array = makeTables();

function makeTables(): Int32Array {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** A CRC-32 kernel: continues `crc` (0 for none) over `bytes`. */
export type Crc32Kernel = (bytes: Uint8Array, crc: number) => number;

let kernel: { name: string; run: Crc32Kernel } | undefined;
const KERNEL_MIN = 256;

/**
 * Installs a faster CRC-32 kernel (or removes it with `undefined`), after checking it against
 * the portable code on several lengths and alignments; one that disagrees is refused.
 */
export function setCrc32Kernel(name: string, run: Crc32Kernel | undefined): void {
  if (run === undefined) {
    kernel = undefined;
    return;
  }
  const bad = kernelDisagreement(
    (crc, bytes) => run(bytes, crc),
    (crc, bytes) => crc32Portable(bytes, crc),
  );
  if (bad !== undefined)
    throw new KerasV3Error(
      "unsupported-zip",
      cannot("use", `the CRC-32 kernel "${name}"`, `it disagrees with the portable code on ${bad} bytes`),
    );
  kernel = { name, run };
}

/** The name of the kernel in use: "portable" for the table code. */
export function crc32KernelName(): string {
  return kernel?.name ?? "portable";
}

/** Continues a CRC-32 over `bytes`; start with `crc = 0`. Returns an unsigned 32-bit value. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (kernel !== undefined && bytes.length >= KERNEL_MIN) return kernel.run(bytes, crc) >>> 0;
  return crc32Portable(bytes, crc);
}

/** `crc32` in portable code, whatever kernel is installed. */
export function crc32Portable(bytes: Uint8Array, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ c;
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
    i += 8;
  }
  while (i < n) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
