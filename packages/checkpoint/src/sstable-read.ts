import { cannot } from "@kerastore/core";
import { crc32cExtend, unmaskCrc } from "./crc32c.js";
import { CheckpointError } from "./errors.js";
import { snappyDecompress } from "./snappy.js";
import { readFixed32, readVarint } from "./varint.js";

/** One key/value pair of a table. */
export interface TableEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** Size of the table footer: two block handles padded to 40 bytes, then the magic. */
export const FOOTER_SIZE = 48;
/** `kTableMagicNumber` as two little-endian words. */
export const MAGIC_LOW = 0x8b80fb57;
export const MAGIC_HIGH = 0xdb477524;

const NO_COMPRESSION = 0;
const SNAPPY = 1;
/** A decompressed block larger than this is refused (TensorFlow writes 256 KiB blocks). */
const MAX_BLOCK = 64 * 1024 * 1024;

/**
 * Reads every entry of a LevelDB-format table (the `.index` file of a tensor bundle).
 *
 * Verifies the footer magic, every block's masked CRC32C, that handles stay inside the file,
 * and that keys are strictly increasing. Snappy-compressed blocks are decompressed.
 */
export function readTable(file: Uint8Array, name: string): TableEntry[] {
  if (file.length < FOOTER_SIZE) {
    throw new CheckpointError(
      "corrupt",
      cannot("read", name, `it has ${file.length} bytes, less than a table footer`),
      {
        path: name,
      },
    );
  }
  const footerAt = file.length - FOOTER_SIZE;
  if (readFixed32(file, footerAt + 40) !== MAGIC_LOW || readFixed32(file, footerAt + 44) !== MAGIC_HIGH) {
    throw new CheckpointError("corrupt", cannot("read", name, "the footer magic is not a table's"), { path: name });
  }
  const where = `the footer of ${name}`;
  const meta = readHandle(file, footerAt, footerAt + 40, where);
  const index = readHandle(file, meta.next, footerAt + 40, where);
  // The metaindex block is read only to check it; TensorFlow always writes it empty.
  readBlock(file, meta.handle, footerAt, name, "the metaindex block");
  const indexBlock = readBlock(file, index.handle, footerAt, name, "the index block");
  const entries: TableEntry[] = [];
  let previous: Uint8Array | undefined;
  for (const handleEntry of parseBlock(indexBlock, name, "the index block")) {
    const at = readHandle(handleEntry.value, 0, handleEntry.value.length, `an index entry of ${name}`);
    const block = readBlock(file, at.handle, footerAt, name, `the data block at ${at.handle.offset}`);
    for (const entry of parseBlock(block, name, `the data block at ${at.handle.offset}`)) {
      if (previous !== undefined && compareBytes(previous, entry.key) >= 0) {
        throw new CheckpointError("corrupt", cannot("read", name, "its keys are not in increasing order"), {
          path: name,
        });
      }
      if (compareBytes(entry.key, handleEntry.key) > 0) {
        throw new CheckpointError("corrupt", cannot("read", name, "a key lies past its index entry"), { path: name });
      }
      previous = entry.key;
      entries.push(entry);
    }
  }
  return entries;
}

interface BlockHandle {
  offset: number;
  size: number;
}

function readHandle(bytes: Uint8Array, at: number, end: number, where: string): { handle: BlockHandle; next: number } {
  const offset = readVarint(bytes, at, end, where);
  const size = readVarint(bytes, offset.next, end, where);
  return { handle: { offset: offset.value, size: size.value }, next: size.next };
}

/** Checks a block's trailer and returns its (decompressed) contents. */
function readBlock(file: Uint8Array, handle: BlockHandle, limit: number, name: string, what: string): Uint8Array {
  if (handle.offset + handle.size + 5 > limit) {
    throw new CheckpointError(
      "corrupt",
      cannot(
        "read",
        `${what} of ${name}`,
        `it spans bytes ${handle.offset}..${handle.offset + handle.size + 5}, past ${limit}`,
      ),
      { path: name },
    );
  }
  const contents = file.subarray(handle.offset, handle.offset + handle.size);
  const type = file[handle.offset + handle.size]!;
  const stored = unmaskCrc(readFixed32(file, handle.offset + handle.size + 1));
  const actual = crc32cExtend(
    crc32cExtend(0, contents),
    file.subarray(handle.offset + handle.size, handle.offset + handle.size + 1),
  );
  if (stored !== actual) {
    throw new CheckpointError("crc-mismatch", cannot("read", `${what} of ${name}`, "its CRC32C does not match"), {
      path: name,
    });
  }
  if (type === NO_COMPRESSION) return contents;
  if (type === SNAPPY) return snappyDecompress(contents, MAX_BLOCK, `${what} of ${name}`);
  throw new CheckpointError("unsupported", cannot("read", `${what} of ${name}`, `unknown compression type ${type}`), {
    path: name,
  });
}

/** Decodes the prefix-compressed entries of one block. */
function parseBlock(block: Uint8Array, name: string, what: string): TableEntry[] {
  const where = `${what} of ${name}`;
  const fail = (reason: string): never => {
    throw new CheckpointError("corrupt", cannot("read", where, reason), { path: name });
  };
  if (block.length < 4) fail("it is shorter than its restart count");
  const restarts = readFixed32(block, block.length - 4);
  if (restarts < 1 || restarts > (block.length - 4) / 4) fail(`it declares ${restarts} restart points`);
  const end = block.length - 4 - 4 * restarts;
  if (readFixed32(block, end) !== 0) fail("its first restart point is not 0");
  const out: TableEntry[] = [];
  let key = new Uint8Array(0);
  let at = 0;
  while (at < end) {
    const shared = readVarint(block, at, end, where);
    const unshared = readVarint(block, shared.next, end, where);
    const valueLength = readVarint(block, unshared.next, end, where);
    at = valueLength.next;
    if (shared.value > key.length) fail(`an entry shares ${shared.value} bytes of a ${key.length}-byte key`);
    if (at + unshared.value + valueLength.value > end) fail("an entry runs past the end of the block");
    const next = new Uint8Array(shared.value + unshared.value);
    next.set(key.subarray(0, shared.value));
    next.set(block.subarray(at, at + unshared.value), shared.value);
    at += unshared.value;
    key = next;
    out.push({ key, value: block.subarray(at, at + valueLength.value) });
    at += valueLength.value;
  }
  return out;
}

/** memcmp order, as the table keeps its keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
