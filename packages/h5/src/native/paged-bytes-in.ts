import type { RandomAccessSource } from "@kerastore/core";
import { BytesIn, Fault } from "./bytes-in.js";

/** Bytes fetched at a time for metadata: a block holds a few object headers of a typical file. */
const BLOCK = 64 * 1024;
/** The largest metadata structure read at once (a local heap, a header chunk, a heap collection). */
const MAX_SPAN = 64 * 2 ** 20;

/**
 * Thrown by a PagedBytesIn read of bytes not fetched yet. It never reaches a caller: the
 * async driver (`whenFetched`) catches it, fetches the blocks and runs the parse step again.
 */
export class NeedBytes extends Error {
  constructor(
    readonly at: number,
    readonly n: number,
  ) {
    super(`bytes ${at}..${at + n} are not fetched yet`);
  }
}

/**
 * The file's bytes as blocks fetched from a random-access source on demand.
 *
 * The HDF5 parser is synchronous and reads through BytesIn; over a source, a read of a block
 * not held yet throws NeedBytes, and `whenFetched` fetches it and reruns the (small, pure)
 * parse step. Only metadata goes through here: tensor data is read straight from the source
 * into its own buffer, never into these blocks.
 */
export class PagedBytesIn extends BytesIn {
  readonly #blocks = new Map<number, Uint8Array>();
  /** Bytes fetched so far, for tests and benchmarks. */
  fetched = 0;

  /**
   * @param readSync when the source can read synchronously (a file held open on the local
   * disk): a block not held yet is read at once, in the parse, which then never reruns.
   */
  constructor(
    readonly source: RandomAccessSource,
    readonly readSync?: (offset: number, length: number) => Uint8Array,
  ) {
    super(new Uint8Array(0));
  }

  override get length(): number {
    return this.source.size;
  }

  override u8(at: number): number {
    this.check(at, 1, "a byte");
    return this.#byte(at);
  }

  override u16(at: number): number {
    this.check(at, 2, "a 2-byte field");
    return this.#byte(at) | (this.#byte(at + 1) << 8);
  }

  override u32(at: number): number {
    this.check(at, 4, "a 4-byte field");
    return (this.#byte(at) | (this.#byte(at + 1) << 8) | (this.#byte(at + 2) << 16)) + this.#byte(at + 3) * 0x1000000;
  }

  /** The block last read from, kept at hand: fields are read in runs from one block. */
  #lastIndex = -1;
  #lastBlock: Uint8Array = new Uint8Array(0);

  /** One byte, without a view made for it (the parse reads every field byte by byte). */
  #byte(at: number): number {
    const b = Math.floor(at / BLOCK);
    if (b !== this.#lastIndex) {
      let block = this.#blocks.get(b);
      if (block === undefined) {
        this.#span(at, 1); // fetches it (synchronously), or throws NeedBytes
        block = this.#blocks.get(b)!;
      }
      this.#lastIndex = b;
      this.#lastBlock = block;
    }
    return this.#lastBlock[at - b * BLOCK]!;
  }

  override slice(at: number, n: number, what: string): Uint8Array {
    this.check(at, n, what);
    if (n > MAX_SPAN)
      throw new Fault(`${what} at ${at} claims ${n} bytes, more than the ${MAX_SPAN} a metadata structure may have`);
    return this.#span(at, n);
  }

  override is(at: number, sig: string): boolean {
    if (at < 0 || at + 4 > this.length) return false;
    const s = this.#span(at, 4);
    for (let i = 0; i < 4; i++) if (s[i] !== sig.charCodeAt(i)) return false;
    return true;
  }

  /** Fetches every block `[at, at + n)` touches that is not held yet (in one read per run). */
  async fetch(at: number, n: number): Promise<number> {
    let added = 0;
    for (const [from, to] of this.#missing(at, n)) {
      this.#hold(from, await this.source.read(from * BLOCK, Math.min((to + 1) * BLOCK, this.length) - from * BLOCK));
      added += to - from + 1;
    }
    return added;
  }

  /** The runs of blocks `[at, at + n)` touches that are not held yet, as [first, last] block numbers. */
  #missing(at: number, n: number): [number, number][] {
    const first = Math.floor(at / BLOCK);
    const last = Math.floor((at + Math.max(n, 1) - 1) / BLOCK);
    const runs: [number, number][] = [];
    for (let b = first; b <= last; b++) {
      if (this.#blocks.has(b)) continue;
      let end = b;
      while (end + 1 <= last && !this.#blocks.has(end + 1)) end++;
      runs.push([b, end]);
      b = end;
    }
    return runs;
  }

  /** Keeps `bytes`, read from block `b` on, as blocks. */
  #hold(b: number, bytes: Uint8Array): void {
    this.fetched += bytes.byteLength;
    for (let k = 0; k * BLOCK < bytes.byteLength; k++)
      this.#blocks.set(b + k, bytes.subarray(k * BLOCK, Math.min((k + 1) * BLOCK, bytes.byteLength)));
  }

  #span(at: number, n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = Math.floor(at / BLOCK);
    const last = Math.floor((at + n - 1) / BLOCK);
    for (let b = first; b <= last; b++) {
      if (this.#blocks.has(b)) continue;
      if (this.readSync === undefined) throw new NeedBytes(at, n);
      for (const [from, to] of this.#missing(at, n))
        this.#hold(from, this.readSync(from * BLOCK, Math.min((to + 1) * BLOCK, this.length) - from * BLOCK));
      break;
    }
    if (first === last) {
      const start = at - first * BLOCK;
      return this.#blocks.get(first)!.subarray(start, start + n);
    }
    // Spans blocks: copied together (metadata only, so small).
    const out = new Uint8Array(n);
    let done = 0;
    for (let b = first; b <= last; b++) {
      const block = this.#blocks.get(b)!;
      const start = b === first ? at - first * BLOCK : 0;
      const part = block.subarray(start, Math.min(block.byteLength, start + n - done));
      out.set(part, done);
      done += part.byteLength;
    }
    return out;
  }
}

/**
 * Runs the synchronous parse step `fn` over a paged file, fetching what it asks for and running
 * it again until it needs nothing more. A step that asks for bytes already held is a bug, not a
 * loop: it throws.
 */
export async function whenFetched<T>(file: PagedBytesIn, fn: () => T): Promise<T> {
  for (;;) {
    try {
      return fn();
    } catch (error) {
      const need = needOf(error);
      if (need === undefined) throw error;
      if ((await file.fetch(need.at, need.n)) === 0)
        throw new Fault(`bytes ${need.at}..${need.at + need.n} were fetched but not found`);
    }
  }
}

/** The NeedBytes behind an error (parse helpers may wrap it as a cause). */
export function needOf(error: unknown): NeedBytes | undefined {
  for (
    let e = error, depth = 0;
    e !== undefined && e !== null && depth < 8;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    if (e instanceof NeedBytes) return e;
  }
  return undefined;
}
