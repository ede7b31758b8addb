import { cannot } from "@kerastore/core";
import { inflateSync } from "fflate";
import type { ByteSource } from "./byte-source.js";
import { crc32 } from "./crc32.js";
import { KerasV3Error, type KerasV3ErrorCode } from "./errors.js";
import { unsafeMemberNameReason } from "./member-name.js";
import { type ZipLimits, defaultZipLimits } from "./zip-limits.js";
import { decodeZipName } from "./zip-name.js";

/** One member of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  /** The member name, checked safe (see `unsafeMemberNameReason`). */
  readonly name: string;
  /** Whether the entry is a directory (its name ends with `/`). */
  readonly isDirectory: boolean;
  /** 0 = stored, 8 = deflate. */
  readonly method: 0 | 8;
  /** The general-purpose flags (bit 3: data descriptor; bit 11: UTF-8 name). */
  readonly flags: number;
  /** CRC-32 of the uncompressed bytes. */
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** The modification time recorded (DOS date and time, read as local time). */
  readonly date: Date;
  /** Where the member's local header starts. */
  readonly localHeaderOffset: number;
  /** The first byte after this member's room (the next local header or the central directory). */
  readonly limit: number;
}

/** The members of an archive, in central-directory order. */
export interface ZipDirectory {
  readonly source: ByteSource;
  readonly entries: readonly ZipEntry[];
  readonly byName: ReadonlyMap<string, ZipEntry>;
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

/**
 * Reads and checks an archive's central directory.
 *
 * Every declared offset and size is checked against the bytes that are there, member ranges
 * may not overlap (the overlapping-member bomb), names must be safe and unique, and declared
 * sizes are held to `limits` before anything is allocated.
 */
export async function readZipDirectory(
  source: ByteSource,
  limits: ZipLimits = defaultZipLimits,
): Promise<ZipDirectory> {
  const fail = (code: KerasV3ErrorCode, reason: string, fix?: string): never => {
    throw new KerasV3Error(code, cannot("read zip archive", source.description, reason, fix), {
      path: source.description,
    });
  };
  const size = source.size;
  if (size < 22) fail("not-a-zip", `it is ${size} bytes long, shorter than an end-of-central-directory record`);
  const tailLength = Math.min(size, 22 + 0xffff + 20);
  const tailStart = size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const tv = view(tail);
  let eocd = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIG && i + 22 + tv.getUint16(i + 20, true) <= tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail("not-a-zip", "no end-of-central-directory record (the file is not a zip, or is truncated)");
  const eocdOffset = tailStart + eocd;
  if (tv.getUint16(eocd + 4, true) !== 0 || tv.getUint16(eocd + 6, true) !== 0) {
    fail("unsupported-zip", "it is a multi-disk (spanned) archive");
  }
  let count: number = tv.getUint16(eocd + 10, true);
  let cdSize: number = tv.getUint32(eocd + 12, true);
  let cdOffset: number = tv.getUint32(eocd + 16, true);
  let cdEnd = eocdOffset;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc >= 0 && tv.getUint32(loc, true) === ZIP64_LOCATOR_SIG) {
      const at = u64(tv, loc + 8, fail);
      if (at + 56 > eocdOffset - 20) fail("corrupt", `the ZIP64 end record offset ${at} is outside the file`);
      const rec = view(await source.read(at, 56));
      if (rec.getUint32(0, true) !== ZIP64_EOCD_SIG) fail("corrupt", `no ZIP64 end record at offset ${at}`);
      count = u64(rec, 32, fail);
      cdSize = u64(rec, 40, fail);
      cdOffset = u64(rec, 48, fail);
      cdEnd = at;
    }
  }
  if (cdOffset + cdSize > cdEnd) {
    fail("corrupt", `the central directory (${cdSize} bytes at ${cdOffset}) runs past its end record at ${cdEnd}`);
  }
  if (count > limits.maxEntries)
    fail("zip-bomb", `it lists ${count} members, more than the limit ${limits.maxEntries}`);
  if (count * 46 > cdSize) fail("corrupt", `${count} members cannot fit a ${cdSize}-byte central directory`);
  const cd = await source.read(cdOffset, cdSize);
  const cv = view(cd);
  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let total = 0;
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cdSize || cv.getUint32(p, true) !== CENTRAL_SIG) {
      fail("corrupt", `central directory entry ${k} (at ${cdOffset + p}) has no valid signature`);
    }
    const flags = cv.getUint16(p + 8, true);
    const method = cv.getUint16(p + 10, true);
    const crc = cv.getUint32(p + 16, true);
    const date = fromDos(cv.getUint16(p + 14, true), cv.getUint16(p + 12, true));
    let compressedSize: number = cv.getUint32(p + 20, true);
    let memberSize: number = cv.getUint32(p + 24, true);
    const nameLength = cv.getUint16(p + 28, true);
    const extraLength = cv.getUint16(p + 30, true);
    const commentLength = cv.getUint16(p + 32, true);
    const disk = cv.getUint16(p + 34, true);
    let localHeaderOffset: number = cv.getUint32(p + 42, true);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > cdSize) fail("corrupt", `central directory entry ${k} runs past the directory`);
    const name = decodeZipName(cd.subarray(p + 46, p + 46 + nameLength), (flags & 0x800) !== 0);
    if (name === undefined) fail("corrupt", `central directory entry ${k} has a name that is not valid UTF-8`);
    const where = `member "${name}"`;
    // ZIP64 extended information: the 64-bit values appear in this order, each only when its
    // 32-bit field holds the 0xFFFFFFFF marker.
    const extra = view(cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    for (let e = 0; e + 4 <= extraLength; ) {
      const id = extra.getUint16(e, true);
      const len = extra.getUint16(e + 2, true);
      if (e + 4 + len > extraLength) fail("corrupt", `${where} has an extra field running past its end`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = (): number => {
          if (q + 8 > e + 4 + len) fail("corrupt", `${where} has a short ZIP64 extra field`);
          const v = u64(extra, q, fail);
          q += 8;
          return v;
        };
        if (memberSize === 0xffffffff) memberSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      }
      e += 4 + len;
    }
    p = next;
    const unsafe = unsafeMemberNameReason(name as string);
    if (unsafe !== undefined) {
      fail(
        "unsafe-member-name",
        `${where}: ${unsafe}`,
        "the archive may try to write outside its directory; do not use it",
      );
    }
    if (byName.has(name as string)) fail("duplicate-member", `${where} appears twice`);
    if ((flags & 0x1) !== 0) fail("unsupported-zip", `${where} is encrypted`);
    if (method !== 0 && method !== 8)
      fail("unsupported-zip", `${where} uses compression method ${method} (only stored and deflate are read)`);
    if (disk !== 0) fail("unsupported-zip", `${where} starts on disk ${disk}`);
    if (method === 0 && compressedSize !== memberSize) {
      fail("corrupt", `${where} is stored but declares ${memberSize} bytes and ${compressedSize} stored`);
    }
    if (localHeaderOffset + 30 + compressedSize > cdOffset) {
      fail(
        "corrupt",
        `${where} declares ${compressedSize} bytes at ${localHeaderOffset}, past the central directory at ${cdOffset}`,
      );
    }
    // A stored member's bytes are in the file (checked above), so the default cap, which is
    // about one inflated buffer, does not hold it; a caller's lower cap still does. A large
    // stored member is read in place by range (KerasArchiveFiles.source), never whole.
    const cap =
      method === 0 && limits.maxMemberSize >= defaultZipLimits.maxMemberSize
        ? Number.POSITIVE_INFINITY
        : limits.maxMemberSize;
    if (memberSize > cap) {
      fail(
        "zip-bomb",
        `${where} declares ${memberSize} bytes, more than the limit ${limits.maxMemberSize}`,
        "raise limits.maxMemberSize if the archive is trusted",
      );
    }
    if (method === 8 && memberSize > limits.expansionFloor && memberSize > limits.maxExpansion * compressedSize) {
      fail(
        "zip-bomb",
        `${where} declares ${memberSize} bytes from ${compressedSize} compressed (more than ${limits.maxExpansion}x)`,
        "raise limits.maxExpansion if the archive is trusted",
      );
    }
    total += memberSize;
    if (total > limits.maxTotalSize) {
      fail(
        "zip-bomb",
        `its members declare more than ${limits.maxTotalSize} bytes in all`,
        "raise limits.maxTotalSize if the archive is trusted",
      );
    }
    const entry: ZipEntry = {
      name: name as string,
      isDirectory: (name as string).endsWith("/"),
      method: method as 0 | 8,
      flags,
      crc32: crc,
      date,
      compressedSize,
      size: memberSize,
      localHeaderOffset,
      limit: cdOffset,
    };
    entries.push(entry);
    byName.set(entry.name, entry);
  }
  // Each member must end before the next one starts: overlapping members let a tiny file
  // expand to terabytes by pointing every entry at the same deflate stream.
  const ordered = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i < ordered.length; i++) {
    const a = ordered[i]!;
    const limit = ordered[i + 1]?.localHeaderOffset ?? cdOffset;
    if (a.localHeaderOffset + 30 + a.compressedSize > limit) {
      fail("corrupt", `member "${a.name}" overlaps the next member at ${limit}`);
    }
    (a as { limit: number }).limit = limit;
  }
  return { source, entries, byName };
}

/** Options for reading one member. */
export interface ReadMemberOptions {
  /** Check the CRC-32 of the bytes read. Default true. */
  readonly verifyCrc?: boolean;
}

/**
 * Reads one member's uncompressed bytes, checking its local header, its size and its CRC-32.
 *
 * A stored member read from bytes in memory is a view of them, not a copy.
 */
export async function readZipMember(
  dir: ZipDirectory,
  entry: ZipEntry,
  options: ReadMemberOptions = {},
): Promise<Uint8Array> {
  const { source } = dir;
  const fail = (code: KerasV3ErrorCode, reason: string): never => {
    const path = `${source.description}!${entry.name}`;
    throw new KerasV3Error(code, cannot("read", `member "${entry.name}" of ${source.description}`, reason), { path });
  };
  const dataOffset = await memberDataOffset(dir, entry);
  const raw = await source.read(dataOffset, entry.compressedSize);
  let bytes: Uint8Array;
  if (entry.method === 0) {
    bytes = raw;
  } else {
    // One byte of headroom: fflate stops quietly at the end of `out`, so a stream that fills
    // the extra byte is longer than declared.
    const out = new Uint8Array(entry.size + 1);
    try {
      bytes = inflateSync(raw, { out });
    } catch (error) {
      return fail("corrupt", `its deflate stream is damaged (${(error as Error).message})`);
    }
    if (bytes.byteLength !== entry.size) {
      const inflated =
        bytes.byteLength > entry.size
          ? `more than the ${entry.size} bytes declared`
          : `${bytes.byteLength} bytes, not the ${entry.size} declared`;
      fail("corrupt", `it inflates to ${inflated}`);
    }
    bytes = bytes.subarray(0, entry.size);
  }
  if (options.verifyCrc !== false) {
    const actual = crc32(bytes);
    if (actual !== entry.crc32) {
      fail(
        "crc-mismatch",
        `its CRC-32 is ${hex(actual)}, the directory says ${hex(entry.crc32)} (the file is damaged)`,
      );
    }
  }
  return bytes;
}

/**
 * Where a member's (compressed) bytes start, after checking its local header against the
 * central directory and its bytes against the room the directory leaves it.
 */
export async function memberDataOffset(dir: ZipDirectory, entry: ZipEntry): Promise<number> {
  const { source } = dir;
  const fail = (code: KerasV3ErrorCode, reason: string): never => {
    const path = `${source.description}!${entry.name}`;
    throw new KerasV3Error(code, cannot("read", `member "${entry.name}" of ${source.description}`, reason), { path });
  };
  const header = view(await source.read(entry.localHeaderOffset, 30));
  if (header.getUint32(0, true) !== LOCAL_SIG)
    fail("corrupt", `no local header signature at offset ${entry.localHeaderOffset}`);
  const nameLength = header.getUint16(26, true);
  const extraLength = header.getUint16(28, true);
  const localMethod = header.getUint16(8, true);
  if (localMethod !== entry.method)
    fail("corrupt", `the local header says method ${localMethod}, the directory ${entry.method}`);
  const dataOffset = entry.localHeaderOffset + 30 + nameLength + extraLength;
  if (dataOffset + entry.compressedSize > entry.limit) {
    fail("corrupt", `its ${entry.compressedSize} bytes at ${dataOffset} run past ${entry.limit}`);
  }
  const localName = decodeZipName(
    await source.read(entry.localHeaderOffset + 30, nameLength),
    (header.getUint16(6, true) & 0x800) !== 0,
  );
  if (localName !== entry.name) fail("corrupt", `the local header names it "${localName ?? "?"}"`);
  return dataOffset;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(v: DataView, at: number, fail: (code: KerasV3ErrorCode, reason: string) => never): number {
  const big = v.getBigUint64(at, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) fail("corrupt", `a 64-bit size or offset (${big}) is absurdly large`);
  return Number(big);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function fromDos(date: number, time: number): Date {
  return new Date(
    1980 + (date >>> 9),
    ((date >>> 5) & 0xf) - 1,
    date & 0x1f,
    time >>> 11,
    (time >>> 5) & 0x3f,
    (time & 0x1f) * 2,
  );
}
