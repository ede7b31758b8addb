import { type BlobLike, BlobStore, type FileLike, MemoryStore, readThroughPendingSaves } from "@kerastore/core";
import { fileSystem } from "./file-system.js";
import type { FormatLocation } from "./formats/format.js";

/**
 * Where to load from or save to: a path on this machine (Node) or a URL (`https://…`, or
 * relative to the page); a `URL`; a `File` or `Blob`; the bytes of a file (`ArrayBuffer`,
 * `Uint8Array`); or a path inside any Store (a {@link BlobTarget} to save for a download).
 */
export type Target = string | URL | BlobLike | ArrayBuffer | ArrayBufferView | FormatLocation;

/** The name bytes and unnamed blobs get: the format is found from their content. */
const UNNAMED = "model";

/** Turns a user's target into a store location. */
export function locate(target: Target): FormatLocation {
  if (typeof target === "string") return fileSystem().open(target);
  if (target instanceof URL) return fileSystem().open(target.href);
  if (target instanceof ArrayBuffer)
    return { store: new MemoryStore({ [UNNAMED]: new Uint8Array(target) }), path: UNNAMED };
  if (ArrayBuffer.isView(target)) {
    const bytes = new Uint8Array(target.buffer as ArrayBuffer, target.byteOffset, target.byteLength);
    return { store: new MemoryStore({ [UNNAMED]: bytes }), path: UNNAMED };
  }
  if (isBlob(target)) {
    const name =
      typeof (target as FileLike).name === "string" && (target as FileLike).name !== ""
        ? (target as FileLike).name
        : UNNAMED;
    return { store: new BlobStore({ [name]: target }, "blob"), path: name };
  }
  return target;
}

function isBlob(value: object): value is BlobLike {
  const v = value as Partial<BlobLike> & { store?: unknown };
  return (
    v.store === undefined &&
    typeof v.size === "number" &&
    typeof v.slice === "function" &&
    typeof v.arrayBuffer === "function"
  );
}

/** How a location reads in messages. */
export function describeLocation(location: FormatLocation): string {
  const d = location.store.description;
  return d === "memory" || d === "blob" ? location.path : `${d}/${location.path}`;
}

/**
 * A target opened for reading: when a multi-file save there was killed after its commit point,
 * its new files are read (see `writeFileSet`), never a mix of old and new.
 */
export async function locateForRead(target: Target): Promise<FormatLocation> {
  const location = locate(target);
  return { store: await readThroughPendingSaves(location.store, location.path), path: location.path };
}
