/**
 * CRC32C (Castagnoli), slicing-by-8, and the masking LevelDB and TensorFlow store.
 */

const POLY = 0x82f63b78;

/** 8 tables of 256 entries: T[k][b] is the CRC of byte b followed by k zero bytes. */
const TABLE = buildTable();

function buildTable(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
}

/** Extends `crc` (0 for a fresh one) with `bytes`. */
export function crc32cExtend(crc: number, bytes: Uint8Array): number {
  const t = TABLE;
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  // Byte-wise until 4-byte aligned, then 8 bytes per step through a Uint32 view.
  while (i < n && ((bytes.byteOffset + i) & 3) !== 0) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  const words = (n - i) >>> 3;
  if (words > 0) {
    const view = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words * 2);
    for (let w = 0; w < view.length; w += 2) {
      const a = c ^ view[w]!;
      const b = view[w + 1]!;
      c =
        t[1792 + (a & 0xff)]! ^
        t[1536 + ((a >>> 8) & 0xff)]! ^
        t[1280 + ((a >>> 16) & 0xff)]! ^
        t[1024 + (a >>> 24)]! ^
        t[768 + (b & 0xff)]! ^
        t[512 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
    }
    i += words * 8;
  }
  while (i < n) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC32C of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  return crc32cExtend(0, bytes);
}

const MASK_DELTA = 0xa282ead8;

/** The masked form stored in files (so a CRC of data holding CRCs stays well distributed). */
export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** Inverts `maskCrc`. */
export function unmaskCrc(masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}
