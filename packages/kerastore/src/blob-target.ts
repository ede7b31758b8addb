import { MemoryStore } from "@kerastore/core";
import { FacadeError } from "./errors.js";
import type { FormatLocation } from "./formats/format.js";

/** MIME types of the single-file formats a page downloads. */
const MIME: Readonly<Record<string, string>> = {
  ".keras": "application/zip",
  ".h5": "application/x-hdf5",
  ".hdf5": "application/x-hdf5",
  ".json": "application/json",
};

/**
 * A save target held in memory, for pages: `await model.save(target)`, then `target.blob()`
 * to download it or send it on. The file name picks the format, as a path would.
 */
export class BlobTarget implements FormatLocation {
  readonly store = new MemoryStore({}, "memory");
  readonly path: string;

  constructor(name: string) {
    this.path = name;
  }

  /** The bytes saved, once `save` has finished. */
  async bytes(): Promise<Uint8Array> {
    if (!(await this.store.exists(this.path))) {
      throw new FacadeError("not-found", `cannot make a blob of ${this.path}: nothing has been saved to it yet`, {
        path: this.path,
      });
    }
    if (await this.store.isDirectory(this.path)) {
      throw new FacadeError(
        "unsupported",
        `cannot make a blob of ${this.path}: the format wrote a directory; name the target .keras or .h5 for one file`,
        { path: this.path },
      );
    }
    return this.store.read(this.path);
  }

  /** The saved file as a `Blob` (typed by its extension). */
  async blob(): Promise<Blob> {
    const bytes = await this.bytes();
    const ext = /\.[^.]+$/.exec(this.path.toLowerCase())?.[0] ?? "";
    return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: MIME[ext] ?? "application/octet-stream" });
  }
}

/** A new {@link BlobTarget} named `name` (`"model.keras"`, `"model.h5"`). */
export function blobTarget(name = "model.keras"): BlobTarget {
  return new BlobTarget(name);
}
