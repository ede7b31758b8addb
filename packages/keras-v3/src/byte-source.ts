import { type RandomAccessSource, type Store, bytesSource as coreBytesSource, openSource } from "@kerastore/core";

/**
 * Random access to the bytes of one archive, whether they are in memory or behind a Store:
 * core's RandomAccessSource.
 *
 * The zip reader asks only for the ranges it needs (the tail, the central directory, each
 * member), so a large `.keras` on disk is never read whole just to list it, and a stored
 * `model.weights.h5` is read in place as a range of the archive.
 */
export type ByteSource = RandomAccessSource;

/** A source over bytes in memory; reads are views, not copies. */
export function bytesSource(bytes: Uint8Array, description = "archive bytes"): ByteSource {
  return coreBytesSource(bytes, description);
}

/** A source over one file of a Store, read by ranges (a Node store holds one file handle open). */
export async function storeSource(store: Store, path: string): Promise<ByteSource> {
  return openSource(store, path);
}
