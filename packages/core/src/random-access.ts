import { CoreError, cannot } from "./errors.js";
import type { Store } from "./store.js";

/**
 * Random access to the bytes of one file, wherever they are: a Node file handle, bytes in
 * memory, an HTTP URL read with range requests, a browser `Blob`.
 *
 * Readers of large files take one of these instead of the whole file: they read the metadata
 * first, then each tensor's bytes when asked, so a file larger than any one buffer can be read
 * and a file behind a URL is fetched only where it is needed. Every read is bounds-checked
 * against `size` before anything is allocated, so a lying offset in a file is a typed error.
 */
export interface RandomAccessSource {
  /** What the bytes are, for error messages (a path, a URL, `archive!member`). */
  readonly description: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Reads `length` bytes at `offset` into a fresh buffer (or a view of bytes already held).
   * Rejects with an `io` CoreError when the range runs past `size`.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases what the source holds open (a file handle). Reads after it reject. */
  close(): Promise<void>;
}

/** Throws an `io` CoreError unless `[offset, offset + length)` lies inside `size` bytes. */
export function checkRange(description: string, size: number, offset: number, length: number): void {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > size
  ) {
    throw new CoreError(
      "io",
      cannot("read", `${length} bytes at ${offset} of ${description}`, `the file has ${size} bytes`),
      {
        path: description,
      },
    );
  }
}

/** A source over bytes in memory; reads are views, not copies. */
export function bytesSource(bytes: Uint8Array, description = "bytes"): RandomAccessSource {
  return {
    description,
    size: bytes.byteLength,
    read: async (offset, length) => {
      checkRange(description, bytes.byteLength, offset, length);
      return bytes.subarray(offset, offset + length);
    },
    close: async () => undefined,
  };
}

/**
 * The part `[offset, offset + length)` of another source, as a source of its own (a stored
 * `.keras` member read in place). Closing it leaves the parent open.
 */
export function subSource(
  parent: RandomAccessSource,
  offset: number,
  length: number,
  description: string,
): RandomAccessSource {
  checkRange(parent.description, parent.size, offset, length);
  return {
    description,
    size: length,
    read: async (at, n) => {
      checkRange(description, length, at, n);
      return parent.read(offset + at, n);
    },
    close: async () => undefined,
  };
}

/**
 * Opens one file of a store for random access: the store's own `open` when it has one (the
 * Node store keeps a file handle open), else `size` once and `readRange` per read (HTTP range
 * requests, `Blob.slice`, memory).
 */
export async function openSource(store: Store, path: string): Promise<RandomAccessSource> {
  if (store.open !== undefined) return store.open(path);
  return rangeSource(store, path);
}

/**
 * A source that holds nothing open: `size` once, then `store.readRange` per read (the Node
 * store opens and closes the file each time). For lazy trees handed to code that will not
 * close them: their PendingTensors keep working as long as the file is there.
 */
export async function rangeSource(store: Store, path: string): Promise<RandomAccessSource> {
  const size = await store.size(path);
  const description = store.description === "memory" ? path : `${store.description}/${path}`;
  return {
    description,
    size,
    read: async (offset, length) => {
      checkRange(description, size, offset, length);
      return store.readRange(path, offset, length);
    },
    close: async () => undefined,
  };
}

/** True for a RandomAccessSource (as opposed to bytes or a Store). */
export function isRandomAccessSource(value: unknown): value is RandomAccessSource {
  const v = value as Partial<RandomAccessSource> | null;
  return (
    typeof v === "object" &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    typeof v.size === "number" &&
    typeof v.read === "function" &&
    typeof v.close === "function" &&
    typeof v.description === "string"
  );
}
