import { crc32cExtend, maskCrc } from "./crc32c.js";
import { FOOTER_SIZE, MAGIC_HIGH, MAGIC_LOW, type TableEntry, compareBytes } from "./sstable-read.js";
import { pushVarint, writeFixed32 } from "./varint.js";

/** Table options TensorFlow's BundleWriter uses (table_options.h defaults, no compression). */
const BLOCK_SIZE = 262144;
const RESTART_INTERVAL = 16;

/**
 * Builds a LevelDB-format table from entries in strictly increasing key order, byte for byte as
 * TensorFlow's TableBuilder writes it (uncompressed blocks, shortest separators in the index).
 */
export function buildTable(entries: readonly TableEntry[]): Uint8Array {
  const out: number[] = [];
  const data = new BlockBuilder(RESTART_INTERVAL);
  const index = new BlockBuilder(1);
  let lastKey: Uint8Array = new Uint8Array(0);
  let pending: { offset: number; size: number } | undefined;
  const flush = (): void => {
    if (data.empty) return;
    pending = writeBlock(out, data.finish());
    data.reset();
  };
  for (const { key, value } of entries) {
    if (pending !== undefined) {
      index.add(shortestSeparator(lastKey, key), encodeHandle(pending));
      pending = undefined;
    }
    lastKey = key;
    data.add(key, value);
    if (data.sizeEstimate() >= BLOCK_SIZE) flush();
  }
  flush();
  const meta = writeBlock(out, new BlockBuilder(RESTART_INTERVAL).finish());
  if (pending !== undefined) {
    index.add(shortSuccessor(lastKey), encodeHandle(pending));
    pending = undefined;
  }
  const indexHandle = writeBlock(out, index.finish());
  const footer = new Uint8Array(FOOTER_SIZE);
  footer.set([...encodeHandle(meta), ...encodeHandle(indexHandle)]);
  writeFixed32(footer, 40, MAGIC_LOW);
  writeFixed32(footer, 44, MAGIC_HIGH);
  const bytes = new Uint8Array(out.length + FOOTER_SIZE);
  bytes.set(out);
  bytes.set(footer, out.length);
  return bytes;
}

/** Asserts strictly increasing keys; the caller sorts. */
export function sortEntries(entries: TableEntry[]): TableEntry[] {
  return entries.sort((a, b) => compareBytes(a.key, b.key));
}

function writeBlock(out: number[], contents: number[]): { offset: number; size: number } {
  const offset = out.length;
  const trailer = new Uint8Array(5);
  const raw = Uint8Array.from(contents);
  const crc = crc32cExtend(crc32cExtend(0, raw), trailer.subarray(0, 1));
  writeFixed32(trailer, 1, maskCrc(crc));
  for (const b of contents) out.push(b);
  for (const b of trailer) out.push(b);
  return { offset, size: contents.length };
}

function encodeHandle(handle: { offset: number; size: number }): number[] {
  const out: number[] = [];
  pushVarint(out, handle.offset);
  pushVarint(out, handle.size);
  return out;
}

class BlockBuilder {
  #buffer: number[] = [];
  #restarts: number[] = [0];
  #counter = 0;
  #last: Uint8Array = new Uint8Array(0);
  readonly #interval: number;

  constructor(interval: number) {
    this.#interval = interval;
  }

  get empty(): boolean {
    return this.#buffer.length === 0;
  }

  reset(): void {
    this.#buffer = [];
    this.#restarts = [0];
    this.#counter = 0;
    this.#last = new Uint8Array(0);
  }

  sizeEstimate(): number {
    return this.#buffer.length + this.#restarts.length * 4 + 4;
  }

  add(key: Uint8Array | number[], value: Uint8Array | number[]): void {
    let shared = 0;
    if (this.#counter < this.#interval) {
      const n = Math.min(this.#last.length, key.length);
      while (shared < n && this.#last[shared] === key[shared]) shared++;
    } else {
      this.#restarts.push(this.#buffer.length);
      this.#counter = 0;
    }
    const b = this.#buffer;
    pushVarint(b, shared);
    pushVarint(b, key.length - shared);
    pushVarint(b, value.length);
    for (let i = shared; i < key.length; i++) b.push(key[i]!);
    for (let i = 0; i < value.length; i++) b.push(value[i]!);
    this.#last = Uint8Array.from(key);
    this.#counter++;
  }

  finish(): number[] {
    const out = this.#buffer.slice();
    const word = new Uint8Array(4);
    for (const r of [...this.#restarts, this.#restarts.length]) {
      writeFixed32(word, 0, r);
      out.push(...word);
    }
    return out;
  }
}

/** A short key k with start <= k < limit (LevelDB's BytewiseComparator). */
function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i >= n) return start;
  const byte = start[i]!;
  if (byte < 0xff && byte + 1 < limit[i]!) {
    const out = start.slice(0, i + 1);
    out[i] = byte + 1;
    return out;
  }
  return start;
}

/** A short key k >= key. */
function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1);
      out[i] = key[i]! + 1;
      return out;
    }
  }
  return key;
}
