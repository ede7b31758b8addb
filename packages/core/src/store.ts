import type { RandomAccessSource } from "./random-access.js";

/**
 * The narrow byte interface every format reads and writes through.
 *
 * Paths are `/`-separated and relative to the store's root. A format never calls `fs`
 * directly, so the same reader works on disk, in memory, and over HTTP.
 */
export interface Store {
  /** Where the store lives, for error messages (`/home/me/models`, `memory`). */
  readonly description: string;
  /** Reads a whole file. Rejects with a `not-found` CoreError when it does not exist. */
  read(path: string): Promise<Uint8Array>;
  /** Reads `length` bytes at `offset`. Rejects when the range runs past the end. */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** The size of a file in bytes. */
  size(path: string): Promise<number>;
  /** Whether a file or directory exists. */
  exists(path: string): Promise<boolean>;
  /** Whether `path` is a directory. */
  isDirectory(path: string): Promise<boolean>;
  /**
   * Writes a file atomically: readers see the old file or the whole new one, never a part.
   * `data` may be one buffer or chunks (sync or async), so large files stream.
   */
  write(path: string, data: WriteData): Promise<void>;
  /** The names (not paths) of the entries in a directory, sorted. */
  list(dir: string): Promise<string[]>;
  /** Makes a directory and its parents; no error when it exists. */
  mkdir(dir: string): Promise<void>;
  /** Removes a file, or a directory and everything under it; no error when absent. */
  remove(path: string): Promise<void>;
  /**
   * Renames a file over another atomically (readers see the old file or the moved one). Optional:
   * without it, multi-file saves copy and remove (see `writeFileSet`).
   */
  rename?(from: string, to: string): Promise<void>;
  /**
   * Opens a file for random access (see `openSource`, which falls back to `size` and
   * `readRange` for stores without it). Optional: the Node store implements it with one file
   * handle held open across reads.
   */
  open?(path: string): Promise<RandomAccessSource>;
}

/** What `Store.write` accepts. */
export type WriteData = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Joins store path parts with `/`, dropping empty parts. */
export function joinPath(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split("/"))
    .filter((p) => p !== "" && p !== ".")
    .join("/");
}

/** The directory part of a store path (`""` for a top-level name). */
export function dirnameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** The last part of a store path. */
export function basenameOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? path : path.slice(i + 1);
}

/** Iterates the chunks of `WriteData` in order. */
export async function* chunksOf(data: WriteData): AsyncGenerator<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data;
    return;
  }
  for await (const chunk of data as AsyncIterable<Uint8Array>) yield chunk;
}
