import { CoreError, cannot } from "../errors.js";
import { type Store, joinPath } from "../store.js";

/** The part of a `fetch` response the HTTP store reads (the global `Response` has it). */
export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A `fetch` function: the global one by default. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string> },
) => Promise<FetchResponse>;

/** Options of {@link HttpStore}. */
export interface HttpStoreOptions {
  /** The fetch to use (default: the global `fetch`). */
  readonly fetch?: FetchLike;
  /** Headers sent with every request (an `Authorization`, say). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A read-only Store over HTTP(S): store paths are URLs relative to a base URL.
 *
 * `readRange` sends a `Range` request, so a reader that needs only part of a file (the `.keras`
 * zip's central directory, one weight shard) downloads only that part. A server that ignores
 * ranges answers with the whole file: the store then keeps those bytes and serves every later
 * range of that file from them.
 */
export class HttpStore implements Store {
  readonly description: string;
  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #sizes = new Map<string, Promise<number | undefined>>();
  readonly #whole = new Map<string, Promise<Uint8Array>>();

  /** @param base the URL store paths are relative to; a directory URL ends with `/`. */
  constructor(base: string, options: HttpStoreOptions = {}) {
    this.#base = base;
    this.description = base.replace(/\/+$/, "");
    const fetch = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
    if (fetch === undefined)
      throw new CoreError("unsupported", cannot("read", base, "this runtime has no fetch", "pass options.fetch"));
    // Called unbound: a browser's fetch throws when called as a method of another object.
    this.#fetch = (url, init) => fetch(url, init);
    this.#headers = options.headers ?? {};
  }

  /** The absolute URL of a store path. */
  url(path: string): string {
    const p = joinPath(path);
    return p === "" ? this.#base : new URL(p.split("/").map(encodeURIComponent).join("/"), this.#base).href;
  }

  async read(path: string): Promise<Uint8Array> {
    const cached = this.#whole.get(joinPath(path));
    if (cached !== undefined) return cached;
    const response = await this.#send("GET", path, {});
    return new Uint8Array(await response.arrayBuffer());
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const url = this.url(path);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new CoreError(
        "io",
        cannot("read", `${length} bytes at ${offset} of ${url}`, "the range is not a pair of non-negative integers"),
        { path: url },
      );
    }
    const whole = this.#whole.get(joinPath(path));
    if (whole !== undefined) return sliceOf(await whole, offset, length, url);
    if (length === 0) return new Uint8Array(0);
    const response = await this.#send("GET", path, { Range: `bytes=${offset}-${offset + length - 1}` }, [416]);
    if (response.status === 416) {
      throw new CoreError(
        "io",
        cannot("read", `${length} bytes at ${offset} of ${url}`, "the range runs past the end of the file"),
        { path: url },
      );
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.status === 206) {
      if (bytes.byteLength !== length) {
        throw new CoreError(
          "io",
          cannot("read", `${length} bytes at ${offset} of ${url}`, `the server sent ${bytes.byteLength} bytes`),
          { path: url },
        );
      }
      return bytes;
    }
    // 200: the server ignored the range and sent the whole file; keep it for the next ranges.
    this.#whole.set(joinPath(path), Promise.resolve(bytes));
    return sliceOf(bytes, offset, length, url);
  }

  async size(path: string): Promise<number> {
    const known = await this.#headSize(path);
    if (known !== undefined) return known;
    // No usable Content-Length (a compressed response): ask for one byte and read Content-Range.
    const response = await this.#send("GET", path, { Range: "bytes=0-0" }, [416]);
    const total = /\/(\d+)\s*$/.exec(response.headers.get("content-range") ?? "")?.[1];
    if (total !== undefined) return Number(total);
    if (response.status === 416) return 0;
    const bytes = new Uint8Array(await response.arrayBuffer());
    this.#whole.set(joinPath(path), Promise.resolve(bytes));
    return bytes.byteLength;
  }

  async exists(path: string): Promise<boolean> {
    if (joinPath(path) === "") return true;
    try {
      await this.#headSize(path);
      return true;
    } catch (error) {
      if (error instanceof CoreError && error.code === "not-found") return false;
      throw error;
    }
  }

  /** HTTP has no directories to ask about: only the base itself is one. */
  async isDirectory(path: string): Promise<boolean> {
    return joinPath(path) === "";
  }

  async list(dir: string): Promise<string[]> {
    throw new CoreError("unsupported", cannot("list", this.url(dir), "HTTP cannot list a directory"), {
      path: this.url(dir),
    });
  }

  async write(path: string): Promise<void> {
    throw readOnly("write", this.url(path));
  }

  async mkdir(dir: string): Promise<void> {
    throw readOnly("make a directory at", this.url(dir));
  }

  async remove(path: string): Promise<void> {
    throw readOnly("remove", this.url(path));
  }

  #headSize(path: string): Promise<number | undefined> {
    const key = joinPath(path);
    let size = this.#sizes.get(key);
    if (size === undefined) {
      size = this.#send("HEAD", path, {}).then((r) => {
        const length = r.headers.get("content-length");
        const encoded = (r.headers.get("content-encoding") ?? "identity") !== "identity";
        return length === null || encoded || !/^\d+$/.test(length) ? undefined : Number(length);
      });
      size.catch(() => this.#sizes.delete(key));
      this.#sizes.set(key, size);
    }
    return size;
  }

  async #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    allowed: readonly number[] = [],
  ): Promise<FetchResponse> {
    const url = this.url(path);
    let response: FetchResponse;
    try {
      response = await this.#fetch(url, { method, headers: { ...this.#headers, ...headers } });
    } catch (cause) {
      throw new CoreError("io", cannot("fetch", url, cause instanceof Error ? cause.message : String(cause)), {
        path: url,
        cause,
      });
    }
    if (response.ok || allowed.includes(response.status)) return response;
    if (response.status === 404 || response.status === 410) {
      throw new CoreError("not-found", cannot("fetch", url, `the server answered ${response.status} (no such file)`), {
        path: url,
      });
    }
    throw new CoreError("io", cannot("fetch", url, `the server answered ${response.status}`), { path: url });
  }
}

function sliceOf(bytes: Uint8Array, offset: number, length: number, url: string): Uint8Array {
  if (offset + length > bytes.byteLength) {
    throw new CoreError(
      "io",
      cannot("read", `${length} bytes at ${offset} of ${url}`, `the file has ${bytes.byteLength} bytes`),
      { path: url },
    );
  }
  return bytes.subarray(offset, offset + length);
}

function readOnly(verb: string, url: string): CoreError {
  return new CoreError(
    "unsupported",
    cannot(verb, url, "an HTTP store is read-only", "save to a blobTarget() or a MemoryStore"),
    { path: url },
  );
}
