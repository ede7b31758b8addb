import { crc32 } from "./crc32.js";
import { encodeZipName } from "./zip-name.js";

/** One member to write. */
export interface ZipMemberInput {
  /** The member name (a safe relative path; `/`-separated). */
  readonly name: string;
  /** The member's bytes, stored uncompressed: one buffer, or chunks written one after another. */
  readonly data: Uint8Array | readonly Uint8Array[];
  /**
   * The modification time recorded for it. Default 1980-01-01 00:00, as Python's zipfile
   * records members written through `ZipFile.open(name, "w")`.
   */
  readonly date?: Date | undefined;
}

/** Options for writing a zip. */
export interface ZipWriteOptions {
  /** Write ZIP64 records even where 32-bit fields would do (as `force_zip64` in Python). Default false. */
  readonly forceZip64?: boolean | undefined;
}

// Python's zipfile switches to ZIP64 records past 2 GiB - 1; doing the same keeps our
// archives byte-compatible with what Keras writes for the same sizes.
const ZIP64_LIMIT = 0x7fffffff;
const DOS_EPOCH = new Date(1980, 0, 1, 0, 0, 0);
// -rw------- as a Unix mode in the high half, which is what Python's zipfile records.
const EXTERNAL_ATTR = (0o600 << 16) >>> 0;
const MADE_BY_UNIX = 3 << 8;

/**
 * Writes a zip archive of stored (uncompressed) members as a sequence of chunks.
 *
 * Member data is yielded as the caller's own buffers (no copy), so a 400 MB weights member
 * streams to a Store without being duplicated. Each member's CRC-32 is computed just before its
 * header is yielded; sizes are known up front, so no data descriptors are needed. ZIP64 records
 * are written for members, offsets or counts past the 32-bit limits.
 */
export function* zipChunks(members: Iterable<ZipMemberInput>, options: ZipWriteOptions = {}): Generator<Uint8Array> {
  const force = options.forceZip64 === true;
  const central: Uint8Array[] = [];
  let offset = 0;
  let count = 0;
  for (const member of members) {
    const { bytes: name, utf8 } = encodeZipName(member.name);
    const parts = member.data instanceof Uint8Array ? [member.data] : member.data;
    let crc = 0;
    let size = 0;
    for (const part of parts) {
      crc = crc32(part, crc);
      size += part.byteLength;
    }
    const bigSize = force || size > ZIP64_LIMIT;
    const bigOffset = force || offset > ZIP64_LIMIT;
    const flags = utf8 ? 0x800 : 0;
    const { time, date } = dosDateTime(member.date ?? DOS_EPOCH);
    const version = bigSize || bigOffset ? 45 : 20;

    const localExtra = bigSize ? zip64Extra([size, size]) : new Uint8Array(0);
    const local = new Uint8Array(30 + name.byteLength + localExtra.byteLength);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, version, true);
    lv.setUint16(6, flags, true);
    lv.setUint16(8, 0, true);
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, bigSize ? 0xffffffff : size, true);
    lv.setUint32(22, bigSize ? 0xffffffff : size, true);
    lv.setUint16(26, name.byteLength, true);
    lv.setUint16(28, localExtra.byteLength, true);
    local.set(name, 30);
    local.set(localExtra, 30 + name.byteLength);

    const centralValues = [...(bigSize ? [size, size] : []), ...(bigOffset ? [offset] : [])];
    const centralExtra = centralValues.length > 0 ? zip64Extra(centralValues) : new Uint8Array(0);
    const entry = new Uint8Array(46 + name.byteLength + centralExtra.byteLength);
    const cv = new DataView(entry.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, MADE_BY_UNIX | version, true);
    cv.setUint16(6, version, true);
    cv.setUint16(8, flags, true);
    cv.setUint16(10, 0, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, bigSize ? 0xffffffff : size, true);
    cv.setUint32(24, bigSize ? 0xffffffff : size, true);
    cv.setUint16(28, name.byteLength, true);
    cv.setUint16(30, centralExtra.byteLength, true);
    cv.setUint32(38, EXTERNAL_ATTR, true);
    cv.setUint32(42, bigOffset ? 0xffffffff : offset, true);
    entry.set(name, 46);
    entry.set(centralExtra, 46 + name.byteLength);
    central.push(entry);

    yield local;
    for (const part of parts) if (part.byteLength > 0) yield part;
    offset += local.byteLength + size;
    count++;
  }
  const cdOffset = offset;
  let cdSize = 0;
  for (const entry of central) {
    yield entry;
    cdSize += entry.byteLength;
  }
  const needs64 = force || count >= 0xffff || cdOffset > ZIP64_LIMIT || cdSize > ZIP64_LIMIT;
  if (needs64) {
    const rec = new Uint8Array(56 + 20);
    const v = new DataView(rec.buffer);
    v.setUint32(0, 0x06064b50, true);
    v.setBigUint64(4, 44n, true);
    v.setUint16(12, MADE_BY_UNIX | 45, true);
    v.setUint16(14, 45, true);
    v.setBigUint64(24, BigInt(count), true);
    v.setBigUint64(32, BigInt(count), true);
    v.setBigUint64(40, BigInt(cdSize), true);
    v.setBigUint64(48, BigInt(cdOffset), true);
    v.setUint32(56, 0x07064b50, true);
    v.setBigUint64(64, BigInt(cdOffset + cdSize), true);
    v.setUint32(72, 1, true);
    yield rec;
  }
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, needs64 ? 0xffff : count, true);
  ev.setUint16(10, needs64 ? 0xffff : count, true);
  ev.setUint32(12, needs64 ? 0xffffffff : cdSize, true);
  ev.setUint32(16, needs64 ? 0xffffffff : cdOffset, true);
  yield end;
}

/** Writes a zip archive of stored members into one buffer. */
export function writeZip(members: Iterable<ZipMemberInput>, options: ZipWriteOptions = {}): Uint8Array {
  const chunks = [...zipChunks(members, options)];
  let total = 0;
  for (const c of chunks) total += c.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function zip64Extra(values: number[]): Uint8Array {
  const out = new Uint8Array(4 + 8 * values.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0x0001, true);
  v.setUint16(2, 8 * values.length, true);
  for (let i = 0; i < values.length; i++) v.setBigUint64(4 + 8 * i, BigInt(values[i]!), true);
  return out;
}

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}
