import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as nodePath from "node:path";
import { KerastoreError, type Store, cannot, removeLeftovers, utf8Encode } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { TfjsFormatError } from "./errors.js";
import type { ShardPiece } from "./weight-stream.js";
import type { TfjsArtifacts } from "./write-model.js";

/** fsyncs in flight at once while later shards are written (each takes a libuv thread). */
const SYNCS_IN_FLIGHT = 2;
/** Written files waiting for their flush, at most (each holds a file descriptor). */
const MAX_UNSYNCED = 32;
/**
 * Files are written by synchronous calls, each run of a shard's pieces (views of the weights, and
 * runs of the source file copied into one reused buffer: writeShardPieces) gathered up to this many
 * bytes and written by one writev: each call takes microseconds,
 * less than a hand-over to libuv's thread pool and back (70 µs a call on a loaded 2-core machine;
 * a 2.7 MiB .h5 made 21 of them). Writing through the pool a chunk at a time (and reading by
 * range, through the pool too), a 16 MiB conversion took 1.36x the raw read where synchronous
 * calls took 0.85x, a 96 MiB one 1.44x against 0.95x (--no-sync, medians of in-process A/B rounds
 * under load 2.4-3.6). A shard of any size (--shard-size) holds at most this much of its bytes back.
 */
const GATHER_BYTES = 4 * 2 ** 20;

/**
 * A directory whose shards hold at most this many bytes has its staging directory flushed beside
 * its files' flushes (one round of flushes less); a larger one's after them: flushed beside them,
 * a 384 MiB conversion took a median 971 ms against 437 ms (durable, synchronous writes both, 5
 * in-process A/B rounds under load 2.4).
 */
export const EARLY_DIRECTORY_FLUSH_BYTES = 16 * 2 ** 20;

/** How the Node directory writer commits. */
export interface DirectoryWriteOptions {
  /**
   * Flush every file and directory to disk before and after the rename (default true). False
   * (`--no-sync`, what `tensorflowjs_converter` does): the directory still appears whole under its
   * final name by one rename, but a power loss soon after may lose it or keep shards whose bytes
   * never reached the disk.
   */
  readonly sync?: boolean | undefined;
}

/** Staging directories `removeLeftovers` may remove (a dead process's): `.<name>.kerastore-stage-<pid>-<hex>`. */
const MAYBE_LEFTOVER = /^\..+\.(?:kerastore-stage|tmp)-\d+-[0-9a-f]+$/;

/**
 * The Node entry's directory writer: a new TensorFlow.js Layers directory on the local disk is
 * written as one durable commit. Every file goes into a staging directory beside the final one
 * (`.<name>.kerastore-stage-<pid>-<hex>`, by synchronous writes, see GATHER_BYTES); each file's flush to disk
 * runs while the next files are written, model.json last; once all files and the staging
 * directory are on disk, one rename gives it the final name (and the parent is flushed). A write
 * killed at any point leaves no directory under the final name, only the staging one, which the
 * next write into that parent removes.
 *
 * Declines (false) an existing directory, which `writeTfjsArtifacts` updates as one set, and a
 * store that is not the local disk.
 */
export async function writeNewTfjsDirectory(
  store: Store,
  dir: string,
  artifacts: TfjsArtifacts,
  options: DirectoryWriteOptions = {},
): Promise<boolean> {
  if (!(store instanceof NodeStore)) return false;
  const final = store.resolve(dir);
  if (fs.statSync(final, { throwIfNoEntry: false }) !== undefined) return false;
  const sync = options.sync ?? true;
  const earlyDirectoryFlush = artifacts.weightBytes <= EARLY_DIRECTORY_FLUSH_BYTES;
  const parent = nodePath.dirname(final);
  const stage = nodePath.join(
    parent,
    `.${nodePath.basename(final)}.kerastore-stage-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
  // Written files wait here for their flush; at most SYNCS_IN_FLIGHT run at once, so reads and
  // writes keep threads of their own, and the writes never wait for the disk.
  const unsynced: number[] = [];
  const syncing = new Set<Promise<void>>();
  let failed: unknown;
  const track = (flush: Promise<void>): void => {
    const done: Promise<void> = flush
      .then(
        () => undefined,
        (error: unknown) => {
          failed ??= error;
        },
      )
      .finally(() => {
        syncing.delete(done);
        startSyncs();
      });
    syncing.add(done);
  };
  const startSyncs = (): void => {
    while (syncing.size < SYNCS_IN_FLIGHT && unsynced.length > 0) {
      const fd = unsynced.shift()!;
      track(fdatasync(fd).finally(() => fs.closeSync(fd)));
    }
  };
  const allSynced = async (): Promise<void> => {
    while (syncing.size > 0) await Promise.race(syncing);
  };
  let staged = false;
  // The buffer runs of the source file are copied through (taken at the first shard, given back at the end).
  let scratch: Uint8Array | undefined;
  try {
    // Staging directories of writes whose process died (their pid is in the name): the parent is
    // listed here anyway (one call), and handed to removeLeftovers only when one may be there.
    let names: string[];
    try {
      names = fs.readdirSync(parent);
    } catch {
      fs.mkdirSync(parent, { recursive: true });
      names = [];
    }
    if (names.some((n) => MAYBE_LEFTOVER.test(n))) await removeLeftovers(new NodeStore(parent), "");
    fs.mkdirSync(stage);
    staged = true;
    const write = async (name: string, pieces: AsyncIterable<ShardPiece> | Iterable<ShardPiece>) => {
      const fd = fs.openSync(nodePath.join(stage, name), "wx");
      scratch ??= takeScratch();
      try {
        await writeShardPieces(fd, pieces, scratch);
      } catch (error) {
        fs.closeSync(fd);
        throw error;
      }
      if (!sync) {
        fs.closeSync(fd);
        return;
      }
      unsynced.push(fd);
      startSyncs();
      // Backpressure on a slow disk: no more than MAX_UNSYNCED files open (and dirty) at once.
      while (unsynced.length >= MAX_UNSYNCED) await Promise.race(syncing);
      if (failed !== undefined) throw failed;
    };
    for (const shard of artifacts.shards) await write(shard.name, shard.pieces ?? shard.chunks);
    await write("model.json", [utf8Encode(JSON.stringify(artifacts.modelJson()))]);
    if (sync) {
      // A small directory's entries are flushed beside its files' flushes; a large one's after
      // them (as measured: see above).
      if (earlyDirectoryFlush) track(syncDirectory(stage));
      while (unsynced.length > 0) {
        startSyncs();
        await Promise.race(syncing);
      }
      await allSynced();
      if (failed !== undefined) throw failed;
      if (!earlyDirectoryFlush) await syncDirectory(stage);
    }
    // The commit point: the directory appears under its final name whole, or not at all.
    fs.renameSync(stage, final);
  } catch (error) {
    await allSynced();
    for (const fd of unsynced.splice(0)) closeQuietly(fd);
    if (staged) removeQuietly(stage);
    if (error instanceof KerastoreError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TfjsFormatError("io", cannot("write", final, reason), { path: final, cause: error });
  } finally {
    if (scratch !== undefined) giveBackScratch(scratch);
  }
  if (sync) await syncDirectory(parent);
  return true;
}

/**
 * Writes a file's pieces: views gathered up to GATHER_BYTES, each run written by one writev;
 * runs of the source file (CopyPiece) copied into `scratch` first, which is written out (with
 * what is gathered before it) whenever it is full, and only then reused.
 */
export async function writeShardPieces(
  fd: number,
  pieces: AsyncIterable<ShardPiece> | Iterable<ShardPiece>,
  scratch: Uint8Array,
): Promise<void> {
  let parts: Uint8Array[] = [];
  let gathered = 0;
  let used = 0; // bytes of scratch in `parts`, not yet written
  const flush = (): void => {
    if (parts.length > 0) writeAllSync(fd, parts);
    parts = [];
    gathered = 0;
    used = 0;
  };
  for await (const piece of pieces) {
    if (piece.byteLength === 0) continue;
    if (piece instanceof Uint8Array) {
      parts.push(piece);
      gathered += piece.byteLength;
      if (gathered >= GATHER_BYTES) flush();
      continue;
    }
    for (let done = 0; done < piece.byteLength; ) {
      if (used === scratch.byteLength) flush();
      const n = Math.min(piece.byteLength - done, scratch.byteLength - used);
      const target = scratch.subarray(used, used + n);
      piece.copyInto(target, done);
      parts.push(target);
      used += n;
      gathered += n;
      done += n;
      if (gathered >= GATHER_BYTES) flush();
    }
  }
  flush();
}

/**
 * The buffer the source file's runs are copied through: 1 MiB, within a core's cache. Its pages
 * fault in at its first use and stay mapped, where a fresh buffer per weight faults in every page
 * again (and large buffers wait for the collector): copying a 16 MiB file into a new file through
 * one reused buffer took 0.98x `fs.promises.readFile` of it, through a fresh 4 MiB buffer per
 * read 1.20x (load 2.9). Not zero-filled up front: that only moves the first faults, and adds a
 * memset, for a conversion that uses it once.
 */
const SCRATCH_BYTES = 2 ** 20;
/** Scratch buffers of finished writes, for the next (each write in flight holds one of its own). */
const spareScratch: Uint8Array[] = [];

function takeScratch(): Uint8Array {
  const spare = spareScratch.pop();
  if (spare !== undefined) return spare;
  const raw = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

function giveBackScratch(scratch: Uint8Array): void {
  if (spareScratch.length < 2) spareScratch.push(scratch);
}

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

function removeQuietly(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch {
    // Left for the next write into this parent to remove (its name carries this pid).
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already closed by its flush.
  }
}

/** Flushes a directory's entries; some platforms (Windows) cannot, and the rename stays atomic. */
function syncDirectory(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY);
  } catch {
    return Promise.resolve();
  }
  return new Promise<void>((resolve) => fs.fsync(fd, () => resolve())).finally(() => closeQuietly(fd));
}

/** The total byte count of `parts`. */
function total(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}

/** The parts less their first `done` bytes (views, no copy). */
function after(parts: readonly Uint8Array[], done: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of parts) {
    if (done >= p.byteLength) {
      done -= p.byteLength;
      continue;
    }
    out.push(done === 0 ? p : p.subarray(done));
    done = 0;
  }
  return out;
}

/** Writes the parts back to back by one writev (more where the kernel takes fewer bytes). */
function writeAllSync(fd: number, parts: Uint8Array[]): void {
  let left = total(parts);
  while (left > 0) {
    const n = fs.writevSync(fd, parts);
    left -= n;
    if (left > 0) parts = after(parts, n);
  }
}
