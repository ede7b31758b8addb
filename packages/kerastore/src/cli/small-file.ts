import { type RandomAccessSource, type Store, bytesSource, joinPath, openSource } from "@kerastore/core";
import type { FormatLocation } from "../formats/format.js";

/**
 * Source files up to this size are read once, whole, by `convert` and `inspect`: sniffing the
 * format, then reading the file, then its ranges would each open the file again.
 */
export const SMALL_FILE_BYTES = 4 * 2 ** 20;

/**
 * The location with a small file's bytes read once (one open, one read) and served from memory
 * to every reader of that one path; anything else (a directory, a larger file, other paths)
 * goes to the store as before.
 */
export async function withSmallFileRead(location: FormatLocation): Promise<FormatLocation> {
  const { store, path } = location;
  if (store.open === undefined || (await store.isDirectory(path).catch(() => true))) return location;
  let source: RandomAccessSource;
  try {
    source = await store.open(path);
  } catch {
    return location; // missing or unreadable: the reader says so, naming the file
  }
  let bytes: Uint8Array | undefined;
  try {
    if (source.size <= SMALL_FILE_BYTES) bytes = await source.read(0, source.size);
  } finally {
    await source.close();
  }
  return bytes === undefined ? location : { store: new OneFileStore(store, joinPath(path), bytes), path };
}

/** A store answering reads of one file from its bytes, and everything else from `inner`. */
class OneFileStore implements Store {
  readonly description: string;
  constructor(
    private readonly inner: Store,
    private readonly path: string,
    private readonly bytes: Uint8Array,
  ) {
    this.description = inner.description;
  }
  private mine(path: string): boolean {
    return joinPath(path) === this.path;
  }
  async read(path: string): Promise<Uint8Array> {
    return this.mine(path) ? this.bytes : this.inner.read(path);
  }
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    if (!this.mine(path)) return this.inner.readRange(path, offset, length);
    return bytesSource(this.bytes, `${this.description}/${this.path}`).read(offset, length);
  }
  async size(path: string): Promise<number> {
    return this.mine(path) ? this.bytes.byteLength : this.inner.size(path);
  }
  async exists(path: string): Promise<boolean> {
    return this.mine(path) || this.inner.exists(path);
  }
  async isDirectory(path: string): Promise<boolean> {
    return this.mine(path) ? false : this.inner.isDirectory(path);
  }
  async open(path: string): Promise<RandomAccessSource> {
    return this.mine(path) ? bytesSource(this.bytes, `${this.description}/${this.path}`) : openSource(this.inner, path);
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
