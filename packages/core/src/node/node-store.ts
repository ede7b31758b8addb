import { randomBytes } from "node:crypto";
import { constants, promises as fs } from "node:fs";
import * as nodePath from "node:path";
import { CoreError, cannot } from "../errors.js";
import { type RandomAccessSource, checkRange } from "../random-access.js";
import { type Store, type WriteData, chunksOf, joinPath } from "../store.js";

/**
 * A Store over a directory of the local file system.
 *
 * Writes are atomic: bytes go to a temporary name in the same directory, are flushed to disk
 * (fsync), and only then renamed over the final name, so a crash or a failing write never
 * leaves a partial file under the final name. Files over 32 MiB are flushed in the background
 * as they are written, so the final fsync has little left to do.
 */
export class NodeStore implements Store {
  readonly description: string;
  readonly #root: string;

  /** @param root the directory store paths are relative to. */
  constructor(root: string) {
    this.#root = nodePath.resolve(root);
    this.description = this.#root;
  }

  /** The absolute path a store path maps to. */
  resolve(path: string): string {
    const p = joinPath(path);
    return p === "" ? this.#root : nodePath.join(this.#root, ...p.split("/"));
  }

  async read(path: string): Promise<Uint8Array> {
    const full = this.resolve(path);
    try {
      // A view of the buffer fs read into (a Uint8Array, not a Buffer), not a copy of it: the
      // copy doubled every load's peak memory.
      const bytes = await fs.readFile(full);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw ioError("read", full, error);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const full = this.resolve(path);
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(full, constants.O_RDONLY);
      const { size } = await handle.stat();
      if (offset < 0 || length < 0 || offset + length > size) {
        throw new CoreError(
          "io",
          cannot("read", `${length} bytes at ${offset} of ${full}`, `the file has ${size} bytes`),
          {
            path: full,
          },
        );
      }
      // Not zero-filled: every byte is read into below, or the read throws.
      const raw = Buffer.allocUnsafeSlow(length);
      const out = new Uint8Array(raw.buffer, raw.byteOffset, length);
      await readFully(handle, out, offset, full);
      return out;
    } catch (error) {
      throw ioError("read", full, error);
    } finally {
      await handle?.close();
    }
  }

  /**
   * Opens a file for random access with one file handle held open until `close`: each read is
   * one positioned read into a fresh buffer (no copy after the kernel's).
   */
  async open(path: string): Promise<RandomAccessSource> {
    const full = this.resolve(path);
    let handle: fs.FileHandle;
    let size: number;
    try {
      handle = await fs.open(full, constants.O_RDONLY);
      size = (await handle.stat()).size;
    } catch (error) {
      throw ioError("open", full, error);
    }
    let closed = false;
    return {
      description: full,
      size,
      read: async (offset, length) => {
        checkRange(full, size, offset, length);
        if (closed) throw new CoreError("io", cannot("read", full, "the source was closed"), { path: full });
        const raw = Buffer.allocUnsafeSlow(length);
        const out = new Uint8Array(raw.buffer, raw.byteOffset, length);
        try {
          await readFully(handle, out, offset, full);
        } catch (error) {
          throw ioError("read", full, error);
        }
        return out;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await handle.close();
      },
    };
  }

  async size(path: string): Promise<number> {
    const full = this.resolve(path);
    try {
      return (await fs.stat(full)).size;
    } catch (error) {
      throw ioError("stat", full, error);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fs.stat(this.resolve(path));
      return true;
    } catch {
      return false;
    }
  }

  async isDirectory(path: string): Promise<boolean> {
    try {
      return (await fs.stat(this.resolve(path))).isDirectory();
    } catch {
      return false;
    }
  }

  async write(path: string, data: WriteData): Promise<void> {
    const full = this.resolve(path);
    const dir = nodePath.dirname(full);
    const temp = nodePath.join(dir, `.${nodePath.basename(full)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
    await fs.mkdir(dir, { recursive: true });
    await removeDeadTemporaries(dir, nodePath.basename(full));
    let handle: fs.FileHandle | undefined;
    // A flush of what is written so far, running while the next bytes are written (at most one).
    let flushing: Promise<void> | undefined;
    try {
      handle = await fs.open(temp, "wx");
      let unflushed = 0;
      for await (const chunk of chunksOf(data)) {
        let done = 0;
        while (done < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
          done += bytesWritten;
        }
        unflushed += chunk.byteLength;
        if (unflushed >= FLUSH_EVERY && flushing === undefined) {
          // Large files reach the disk while they are written, not all at the final fsync;
          // this also keeps the page cache from filling with our dirty pages.
          unflushed = 0;
          const flush = handle.datasync();
          flushing = flush;
          flush.then(
            () => {
              if (flushing === flush) flushing = undefined;
            },
            () => undefined, // kept in `flushing` and thrown by the await below
          );
        }
      }
      await flushing;
      await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.rename(temp, full);
    } catch (error) {
      await flushing?.catch(() => undefined);
      await handle?.close().catch(() => undefined);
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw ioError("write", full, error);
    }
    await syncDirectory(dir);
  }

  async rename(from: string, to: string): Promise<void> {
    const source = this.resolve(from);
    const full = this.resolve(to);
    try {
      await fs.rename(source, full);
    } catch (error) {
      throw ioError("rename", source, error);
    }
    await syncDirectory(nodePath.dirname(full));
  }

  async list(dir: string): Promise<string[]> {
    const full = this.resolve(dir);
    try {
      return (await fs.readdir(full)).sort();
    } catch (error) {
      throw ioError("list", full, error);
    }
  }

  async mkdir(dir: string): Promise<void> {
    const full = this.resolve(dir);
    try {
      await fs.mkdir(full, { recursive: true });
    } catch (error) {
      throw ioError("make directory", full, error);
    }
  }

  async remove(path: string): Promise<void> {
    const full = this.resolve(path);
    try {
      await fs.rm(full, { recursive: true, force: true });
    } catch (error) {
      throw ioError("remove", full, error);
    }
  }
}

/** Most bytes asked of one read call (the kernel caps a read near 2 GiB). */
const READ_STEP = 2 ** 30;

/** Fills `out` from `offset` of the file, in steps; a file that shrank is an `io` error. */
async function readFully(handle: fs.FileHandle, out: Uint8Array, offset: number, full: string): Promise<void> {
  let done = 0;
  while (done < out.byteLength) {
    const step = Math.min(READ_STEP, out.byteLength - done);
    const { bytesRead } = await handle.read(out, done, step, offset + done);
    if (bytesRead === 0)
      throw new CoreError("io", cannot("read", full, "the file shrank while reading"), { path: full });
    done += bytesRead;
  }
}

/** Bytes written between background flushes of a large file (see NodeStore.write). */
const FLUSH_EVERY = 32 * 2 ** 20;

/**
 * Removes the temporaries earlier writes of `name` left when their process was killed (their
 * process id is in the name and no longer runs); a live writer's are kept.
 */
async function removeDeadTemporaries(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.tmp-`;
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return;
  }
  for (const entry of names) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split("-")[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH")
        await fs.rm(nodePath.join(dir, entry), { force: true }).catch(() => undefined);
    }
  }
}

/** Flushes a directory entry (the rename) to disk where the platform allows it. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or sync a directory; the rename is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function ioError(verb: string, path: string, error: unknown): CoreError {
  if (error instanceof CoreError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT")
    return new CoreError("not-found", cannot(verb, path, "no such file or directory"), { path, cause: error });
  const reason = error instanceof Error ? error.message : String(error);
  return new CoreError("io", cannot(verb, path, reason), { path, cause: error });
}

/**
 * Opens the directory holding `file` as a store, with the file's name inside it:
 * the common case of a user handing a path to a single file.
 */
export function storeForFile(file: string): { store: NodeStore; name: string } {
  const full = nodePath.resolve(file);
  return { store: new NodeStore(nodePath.dirname(full)), name: nodePath.basename(full) };
}
