import {
  CoreError,
  type RandomAccessSource,
  type Store,
  bytesSource,
  cannot,
  checkRange,
  joinPath,
  openSource,
} from "@kerastore/core";
import type { SyncReadableSource } from "@kerastore/h5";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { NodeStore } from "@kerastore/core/node";
import type { FormatLocation } from "../formats/format.js";
import { locate, locateForRead } from "../location.js";

/**
 * Source files up to this size are read once, whole, by `inspect`: sniffing the format, then
 * reading the file, then its ranges would each open the file again. Larger ones are read by
 * range (their metadata only).
 */
export const SMALL_FILE_BYTES = 4 * 2 ** 20;

/**
 * `convert` reads a source whole up to this size where it cannot hold it open (a store other
 * than the local disk, or a source beside a save's commit record): it reads every weight anyway,
 * and one read costs less than range reads (a 4 MiB .h5 converted --no-sync in 4.9 ms against
 * 11.3 ms by range, medians of `pnpm bench tfjs` under load 4.4). On the local disk a source of
 * any size is held open and read as the parse asks (OpenFileStore).
 */
export const CONVERT_READ_BYTES = 16 * 2 ** 20;

/**
 * The location with a small file's bytes read once (one open, one read) and served from memory
 * to every reader of that one path; anything else (a directory, a larger file, other paths)
 * goes to the store as before.
 */
export async function withSmallFileRead(location: FormatLocation, limit = SMALL_FILE_BYTES): Promise<FormatLocation> {
  const { store, path } = location;
  if (store instanceof NodeStore) {
    const bytes = readSmallFile(store.resolve(path), limit);
    return bytes === undefined ? location : { store: new OneFileStore(store, joinPath(path), bytes), path };
  }
  if (store.open === undefined || (await store.isDirectory(path).catch(() => true))) return location;
  let source: RandomAccessSource;
  try {
    source = await store.open(path);
  } catch {
    return location; // missing or unreadable: the reader says so, naming the file
  }
  let bytes: Uint8Array | undefined;
  try {
    if (source.size <= limit) bytes = await source.read(0, source.size);
  } finally {
    await source.close();
  }
  return bytes === undefined ? location : { store: new OneFileStore(store, joinPath(path), bytes), path };
}

/** The commit records of `@kerastore/core`'s file sets (`.<target>.kerastore-commit`). */
const COMMIT_RECORD = /^\..*\.kerastore-commit$/;

/**
 * `locateForRead(source)` for `convert`: a file on the local disk, of any size, is held open and
 * read by synchronous positioned reads as the parse asks (OpenFileStore; `closeSourceLocation`
 * when done). By range through the thread pool instead (an open, a read and a close per dataset,
 * each a hand-over to libuv's pool and back; the shards written through the pool too), a 16 MiB
 * .h5 took 1.36x the raw read where held open (and written synchronously) it took 0.85x, a 96 MiB
 * one 1.44x against 0.95x (--no-sync, medians of in-process A/B rounds under load 2.4-3.6).
 * The check for a save killed after its commit point (whose staged files readers must see) is
 * two synchronous listings, and only where a commit record lies beside the source (or in it)
 * does the full reading-through run (a small source then read whole).
 */
export async function locateSourceForRead(source: string): Promise<FormatLocation> {
  const location = locate(source);
  const { store, path } = location;
  if (!(store instanceof NodeStore) || mayHavePendingSave(store.resolve(path)))
    return withSmallFileRead(await locateForRead(source), CONVERT_READ_BYTES);
  const open = OpenFileStore.open(store, joinPath(path));
  return open === undefined ? location : { store: open, path };
}

/** Closes what {@link locateSourceForRead} holds open (a no-op for anything else). */
export function closeSourceLocation(location: FormatLocation): void {
  if (location.store instanceof OpenFileStore) location.store.close();
}

function mayHavePendingSave(full: string): boolean {
  const dirs = [nodePath.dirname(full)];
  if (fs.statSync(full, { throwIfNoEntry: false })?.isDirectory() === true) dirs.push(full);
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    if (names.some((n) => COMMIT_RECORD.test(n))) return true;
  }
  return false;
}

/**
 * A small file on the local disk, read by four synchronous calls (open, fstat, one read, close):
 * each takes microseconds, less than a hand-over to libuv's thread pool and back (about 70 µs on
 * a loaded 2-core machine). Undefined for anything else: missing, a directory, larger, unreadable
 * (the reader then says what it is, naming the file).
 */
function readSmallFile(full: string, limit: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = fs.openSync(full, "r");
  } catch {
    return undefined;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > limit) return undefined;
    // Not zero-filled (every byte is read into below): a zero-filled buffer costs a memset.
    const raw = Buffer.allocUnsafeSlow(stat.size);
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    let done = 0;
    while (done < bytes.byteLength) {
      const n = fs.readSync(fd, bytes, done, bytes.byteLength - done, done);
      if (n === 0) return undefined; // shrunk while read: left to the reader
      done += n;
    }
    return bytes;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A store that answers for one file (`path`, `fileSize` bytes) itself, the reads being the
 * subclass's, and passes everything else to `inner`.
 */
abstract class OneFileOverlay implements Store {
  readonly description: string;
  constructor(
    protected readonly inner: Store,
    protected readonly path: string,
    private readonly fileSize: number,
  ) {
    this.description = inner.description;
  }
  protected mine(path: string): boolean {
    return joinPath(path) === this.path;
  }
  abstract read(path: string): Promise<Uint8Array>;
  abstract readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  abstract open(path: string): Promise<RandomAccessSource>;
  async size(path: string): Promise<number> {
    return this.mine(path) ? this.fileSize : this.inner.size(path);
  }
  async exists(path: string): Promise<boolean> {
    return this.mine(path) || this.inner.exists(path);
  }
  async isDirectory(path: string): Promise<boolean> {
    return this.mine(path) ? false : this.inner.isDirectory(path);
  }
  write(path: string, data: Parameters<Store["write"]>[1]): Promise<void> {
    return this.inner.write(path, data);
  }
  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }
  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }
  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }
}

/**
 * One file on the local disk held open, its reads answered by synchronous positioned
 * reads (`readSync` on the sources it opens: the HDF5 reader then reads only the blocks its
 * parse walks and the datasets loaded; a conversion to tfjs of a compiled 2.7 MiB LSTM reads
 * 1.3 MB of its 2.9 MB: 6 metadata blocks of 64 KiB and 11 datasets); everything else from
 * `inner`. `close()` when done.
 */
class OpenFileStore extends OneFileOverlay {
  #fd: number | undefined;
  private constructor(
    protected override readonly inner: NodeStore,
    path: string,
    fd: number,
    private readonly bytes: number,
  ) {
    super(inner, path, bytes);
    this.#fd = fd;
  }

  /** The file held open, or undefined when it is missing or not a file. */
  static open(inner: NodeStore, path: string): OpenFileStore | undefined {
    let fd: number;
    try {
      fd = fs.openSync(inner.resolve(path), "r");
    } catch {
      return undefined;
    }
    try {
      const stat = fs.fstatSync(fd);
      if (stat.isFile()) return new OpenFileStore(inner, path, fd, stat.size);
    } catch {
      // left to the reader, which names the file
    }
    fs.closeSync(fd);
    return undefined;
  }

  close(): void {
    if (this.#fd === undefined) return;
    fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** `length` bytes at `offset`, read now (into a buffer not zero-filled: every byte is read). */
  readAt(offset: number, length: number): Uint8Array {
    const raw = Buffer.allocUnsafeSlow(length);
    const out = new Uint8Array(raw.buffer, raw.byteOffset, length);
    this.readInto(offset, out);
    return out;
  }

  /**
   * `target.byteLength` bytes at `offset`, read now into `target` (a caller's buffer: a writer
   * reusing one buffer for every weight saves an allocation and its page faults per read).
   */
  readInto(offset: number, target: Uint8Array): void {
    const where = `${this.description}/${this.path}`;
    const length = target.byteLength;
    checkRange(where, this.bytes, offset, length);
    if (this.#fd === undefined)
      throw new CoreError("io", cannot("read", where, "the conversion closed it"), { path: where });
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.#fd, target, done, length - done, offset + done);
      if (n === 0)
        throw new CoreError("io", cannot("read", where, `it ended at ${offset + done} bytes`), { path: where });
      done += n;
    }
  }

  async read(path: string): Promise<Uint8Array> {
    return this.mine(path) ? this.readAt(0, this.bytes) : this.inner.read(path);
  }
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.mine(path) ? this.readAt(offset, length) : this.inner.readRange(path, offset, length);
  }
  async open(path: string): Promise<RandomAccessSource> {
    if (!this.mine(path)) return this.inner.open(path);
    const source: SyncReadableSource = {
      description: `${this.description}/${this.path}`,
      size: this.bytes,
      read: async (offset, length) => this.readAt(offset, length),
      readSync: (offset, length) => this.readAt(offset, length),
      readSyncInto: (offset, target) => this.readInto(offset, target),
      // The store holds the file: lazily read tensors keep reading until it closes.
      close: async () => undefined,
    };
    return source;
  }
}

/** A store answering reads of one file from its bytes, and everything else from `inner`. */
class OneFileStore extends OneFileOverlay {
  constructor(
    inner: Store,
    path: string,
    private readonly bytes: Uint8Array,
  ) {
    super(inner, path, bytes.byteLength);
  }
  async read(path: string): Promise<Uint8Array> {
    return this.mine(path) ? this.bytes : this.inner.read(path);
  }
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    if (!this.mine(path)) return this.inner.readRange(path, offset, length);
    return bytesSource(this.bytes, `${this.description}/${this.path}`).read(offset, length);
  }
  async open(path: string): Promise<RandomAccessSource> {
    return this.mine(path) ? bytesSource(this.bytes, `${this.description}/${this.path}`) : openSource(this.inner, path);
  }
}
