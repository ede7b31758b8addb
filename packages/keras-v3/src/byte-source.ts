import type { Store } from "@kerastore/core";

/**
 * Random access to the bytes of one archive, whether they are in memory or behind a Store.
 *
 * The zip reader asks only for the ranges it needs (the tail, the central directory, each
 * member), so a large `.keras` on disk is never read whole just to list it.
 */
export interface ByteSource {
  /** What the bytes are, for error messages (a path, or `bytes`). */
  readonly description: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Reads `length` bytes at `offset`; the caller has checked the range fits `size`. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A source over bytes in memory; reads are views, not copies. */
export function bytesSource(bytes: Uint8Array, description = "archive bytes"): ByteSource {
  return {
    description,
    size: bytes.byteLength,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
  };
}

/** A source over one file of a Store, read by ranges. */
export async function storeSource(store: Store, path: string): Promise<ByteSource> {
  const size = await store.size(path);
  const description = store.description === "memory" ? path : `${store.description}/${path}`;
  return { description, size, read: (offset, length) => store.readRange(path, offset, length) };
}
