import { CoreError, cannot } from "../errors.js";
import { type Store, joinPath } from "../store.js";

/** The part of a `Blob` (or `File`) the blob store reads. */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A `File` as the blob store sees one: a blob with a name, and its path when picked in a folder. */
export interface FileLike extends BlobLike {
  readonly name: string;
  readonly webkitRelativePath?: string;
}

/**
 * A read-only Store over blobs held by the page: one picked or dropped `File`, or a folder of
 * them (a SavedModel directory from a directory picker). Ranges are read with `Blob.slice`, so
 * a large file is never copied whole to read its index.
 */
export class BlobStore implements Store {
  readonly description: string;
  readonly #files = new Map<string, BlobLike>();
  readonly #dirs = new Set<string>([""]);

  /** @param files each store path and its blob. */
  constructor(files: Readonly<Record<string, BlobLike>> | ReadonlyMap<string, BlobLike>, description = "blob") {
    this.description = description;
    const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
    for (const [path, blob] of entries) {
      const p = joinPath(path);
      this.#files.set(p, blob);
      const parts = p.split("/");
      for (let i = 1; i < parts.length; i++) this.#dirs.add(parts.slice(0, i).join("/"));
    }
  }

  /**
   * A store over files picked with `<input type="file" webkitdirectory>` (or gathered from a
   * dropped folder): each file sits at its `webkitRelativePath` (else its name).
   */
  static fromFiles(files: Iterable<FileLike> | ArrayLike<FileLike>, description = "picked files"): BlobStore {
    const map = new Map<string, BlobLike>();
    for (const file of Array.from(files as ArrayLike<FileLike>)) {
      const rel = file.webkitRelativePath;
      map.set(rel !== undefined && rel !== "" ? rel : file.name, file);
    }
    return new BlobStore(map, description);
  }

  async read(path: string): Promise<Uint8Array> {
    return new Uint8Array(await this.#get(path).arrayBuffer());
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const blob = this.#get(path);
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > blob.size
    ) {
      throw new CoreError(
        "io",
        cannot("read", `${length} bytes at ${offset} of ${path}`, `the file has ${blob.size} bytes`),
        { path },
      );
    }
    return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
  }

  async size(path: string): Promise<number> {
    return this.#get(path).size;
  }

  async exists(path: string): Promise<boolean> {
    const p = joinPath(path);
    return this.#files.has(p) || this.#dirs.has(p);
  }

  async isDirectory(path: string): Promise<boolean> {
    return this.#dirs.has(joinPath(path));
  }

  async list(dir: string): Promise<string[]> {
    const d = joinPath(dir);
    if (!this.#dirs.has(d)) throw new CoreError("not-found", cannot("list", dir, "no such directory"), { path: dir });
    const prefix = d === "" ? "" : `${d}/`;
    const names = new Set<string>();
    for (const p of [...this.#files.keys(), ...this.#dirs]) {
      if (p !== d && p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
    }
    return [...names].sort();
  }

  async write(path: string): Promise<void> {
    throw readOnly("write", path);
  }

  async mkdir(dir: string): Promise<void> {
    throw readOnly("make a directory at", dir);
  }

  async remove(path: string): Promise<void> {
    throw readOnly("remove", path);
  }

  #get(path: string): BlobLike {
    const blob = this.#files.get(joinPath(path));
    if (blob === undefined) throw new CoreError("not-found", cannot("read", path, "no such file"), { path });
    return blob;
  }
}

function readOnly(verb: string, path: string): CoreError {
  return new CoreError(
    "unsupported",
    cannot(verb, path, "a blob store is read-only", "save to a blobTarget() or a MemoryStore"),
    { path },
  );
}
