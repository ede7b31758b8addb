import { CoreError, cannot } from "./errors.js";
import { type Store, type WriteData, chunksOf, dirnameOf, joinPath } from "./store.js";

/**
 * A Store held in memory: for tests, browsers, and building archives before they are written.
 */
export class MemoryStore implements Store {
  readonly description: string;
  readonly #files = new Map<string, Uint8Array>();
  readonly #dirs = new Set<string>([""]);

  constructor(files: Record<string, Uint8Array> = {}, description = "memory") {
    this.description = description;
    for (const [path, bytes] of Object.entries(files)) this.#put(joinPath(path), bytes);
  }

  async read(path: string): Promise<Uint8Array> {
    return this.#get(path);
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const bytes = this.#get(path);
    if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
      throw new CoreError(
        "io",
        cannot("read", `${length} bytes at ${offset} of ${path}`, `the file has ${bytes.byteLength} bytes`),
        { path },
      );
    }
    return bytes.subarray(offset, offset + length);
  }

  async size(path: string): Promise<number> {
    return this.#get(path).byteLength;
  }

  async exists(path: string): Promise<boolean> {
    const p = joinPath(path);
    return this.#files.has(p) || this.#dirs.has(p);
  }

  async isDirectory(path: string): Promise<boolean> {
    return this.#dirs.has(joinPath(path));
  }

  async write(path: string, data: WriteData): Promise<void> {
    // Gather every chunk first: a failing iterator leaves the old file in place.
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of chunksOf(data)) {
      parts.push(chunk.slice());
      total += chunk.byteLength;
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.byteLength;
    }
    this.#put(joinPath(path), bytes);
  }

  async list(dir: string): Promise<string[]> {
    const d = joinPath(dir);
    if (!this.#dirs.has(d)) throw new CoreError("not-found", cannot("list", d, "no such directory"), { path: d });
    const prefix = d === "" ? "" : `${d}/`;
    const names = new Set<string>();
    for (const p of [...this.#files.keys(), ...this.#dirs]) {
      if (p !== d && p.startsWith(prefix)) names.add(p.slice(prefix.length).split("/")[0]!);
    }
    return [...names].sort();
  }

  async mkdir(dir: string): Promise<void> {
    let d = joinPath(dir);
    while (d !== "" && !this.#dirs.has(d)) {
      this.#dirs.add(d);
      d = dirnameOf(d);
    }
  }

  async remove(path: string): Promise<void> {
    const p = joinPath(path);
    this.#files.delete(p);
    this.#dirs.delete(p);
    for (const k of [...this.#files.keys()]) if (k.startsWith(`${p}/`)) this.#files.delete(k);
    for (const k of [...this.#dirs]) if (k.startsWith(`${p}/`)) this.#dirs.delete(k);
  }

  async rename(from: string, to: string): Promise<void> {
    const bytes = this.#get(from);
    this.#files.delete(joinPath(from));
    this.#put(joinPath(to), bytes);
  }

  /** Every file path in the store, sorted. */
  paths(): string[] {
    return [...this.#files.keys()].sort();
  }

  #get(path: string): Uint8Array {
    const p = joinPath(path);
    const bytes = this.#files.get(p);
    if (bytes === undefined) throw new CoreError("not-found", cannot("read", p, "no such file"), { path: p });
    return bytes;
  }

  #put(path: string, bytes: Uint8Array): void {
    this.#files.set(path, bytes);
    let d = dirnameOf(path);
    while (!this.#dirs.has(d)) {
      this.#dirs.add(d);
      d = dirnameOf(d);
    }
  }
}
