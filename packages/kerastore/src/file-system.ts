import { HttpStore } from "@kerastore/core";
import { FacadeError } from "./errors.js";
import type { FormatLocation } from "./formats/format.js";

/**
 * How checkpoint paths a user gives map to store paths and back: identity inside a store the
 * user passed; otherwise file-system paths inside a store over the file-system root.
 */
export interface CheckpointPaths {
  readonly store: import("@kerastore/core").Store;
  /** The store path of a user's path. */
  toStore(path: string): string;
  /** A store path written inside the user's `directory`, as the user would name it. */
  toUser(storePath: string, userDirectory: string): string;
}

/**
 * What a string target means in this runtime. The portable default opens URLs (absolute, or
 * relative to the page) over HTTP; the Node entry (`node.ts`) opens file paths on disk.
 */
export interface FileSystem {
  /** The store and path a string target names. */
  open(target: string): FormatLocation;
  /** Checkpoint paths when the caller passed no store. */
  checkpointPaths(): CheckpointPaths;
}

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/** Opens an absolute URL, or one relative to the page, as a read-only HTTP store over its folder. */
export function openUrl(target: string): FormatLocation {
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  let url: URL;
  try {
    url = page !== undefined ? new URL(target, page) : new URL(target);
  } catch (cause) {
    throw new FacadeError(
      "invalid-argument",
      `cannot open ${target}: it is no URL and this runtime has no file system; pass a URL, a File, a Blob, bytes or a Store`,
      {
        path: target,
        cause,
      },
    );
  }
  const slash = url.pathname.lastIndexOf("/");
  const name = decodeURIComponent(url.pathname.slice(slash + 1));
  const base = new URL(url.href);
  base.pathname = url.pathname.slice(0, slash + 1);
  base.hash = "";
  // Store paths are siblings of the file: a query string would not fit them (pass an HttpStore
  // of your own for signed URLs).
  base.search = "";
  return { store: new HttpStore(base.href), path: name };
}

/** Whether a string names a URL (`https://…`, `blob:…`) rather than a file path. */
export function isUrl(target: string): boolean {
  return URL_SCHEME.test(target) && !/^[a-z]:[\\/]/i.test(target);
}

const portable: FileSystem = {
  open: openUrl,
  checkpointPaths() {
    throw new FacadeError(
      "unsupported",
      "cannot open a checkpoint path: this runtime has no file system; pass options.store (a MemoryStore, say)",
    );
  },
};

let current: FileSystem = portable;

/** The file system string targets open in. */
export function fileSystem(): FileSystem {
  return current;
}

/** Replaces the file system (the Node entry installs the local disk). */
export function setFileSystem(fs: FileSystem): void {
  current = fs;
}
