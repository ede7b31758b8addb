import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as nodePath from "node:path";
import { KerastoreError, type Store, cannot, removeLeftovers, utf8Encode } from "@kerastore/core";
import { NodeStore, syncDirectory } from "@kerastore/core/node";
import { TfjsFormatError } from "./errors.js";
import type { TfjsArtifacts } from "./write-model.js";

/** fsyncs in flight at once while later shards are written (each takes a libuv thread). */
const SYNCS_IN_FLIGHT = 2;
/** Written files waiting for their flush, at most (each holds a file descriptor). */
const MAX_UNSYNCED = 32;

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

/**
 * The Node entry's directory writer: a new TensorFlow.js Layers directory on the local disk is
 * written as one durable commit. Every file goes into a staging directory beside the final one
 * (`.<name>.kerastore-stage-<pid>-<hex>`); each shard's flush to disk runs while the next shards
 * are written, model.json last; once all are on disk and the staging directory is flushed, one
 * rename gives it the final name (and the parent is flushed). A write killed at any point leaves
 * no directory under the final name, only the staging one, which the next write removes.
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
  if (!(store instanceof NodeStore) || (await store.exists(dir))) return false;
  const sync = options.sync ?? true;
  const final = store.resolve(dir);
  const parent = nodePath.dirname(final);
  await fs.mkdir(parent, { recursive: true });
  // Staging directories of writes whose process died (their pid is in the name).
  await removeLeftovers(new NodeStore(parent), "");
  const stage = nodePath.join(
    parent,
    `.${nodePath.basename(final)}.kerastore-stage-${process.pid}-${randomBytes(6).toString("hex")}`,
  );
  // Written files wait here for their flush; at most SYNCS_IN_FLIGHT run at once, so reads and
  // writes keep threads of their own, and the writes never wait for the disk.
  const unsynced: fs.FileHandle[] = [];
  const syncing = new Set<Promise<void>>();
  let failed: unknown;
  const startSyncs = (): void => {
    while (syncing.size < SYNCS_IN_FLIGHT && unsynced.length > 0) {
      const handle = unsynced.shift()!;
      const flushed: Promise<void> = sync ? handle.datasync().finally(() => handle.close()) : handle.close();
      const done: Promise<void> = flushed
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
    }
  };
  const allSynced = async (): Promise<void> => {
    while (syncing.size > 0) await Promise.race(syncing);
  };
  try {
    await fs.mkdir(stage);
    const write = async (name: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) => {
      const handle = await fs.open(nodePath.join(stage, name), "wx");
      try {
        for await (const chunk of chunks) await writeAll(handle, chunk);
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
      unsynced.push(handle);
      startSyncs();
      // Backpressure on a slow disk: no more than MAX_UNSYNCED files open (and dirty) at once.
      while (unsynced.length >= MAX_UNSYNCED) await Promise.race(syncing);
      if (failed !== undefined) throw failed;
    };
    for (const shard of artifacts.shards) await write(shard.name, shard.chunks);
    await write("model.json", [utf8Encode(JSON.stringify(artifacts.modelJson()))]);
    await allSynced();
    if (failed !== undefined) throw failed;
    if (sync) await syncDirectory(stage);
    // The commit point: the directory appears under its final name whole, or not at all.
    await fs.rename(stage, final);
  } catch (error) {
    await allSynced();
    for (const handle of unsynced.splice(0)) await handle.close().catch(() => undefined);
    await fs.rm(stage, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof KerastoreError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TfjsFormatError("io", cannot("write", final, reason), { path: final, cause: error });
  }
  if (sync) await syncDirectory(parent);
  return true;
}

async function writeAll(handle: fs.FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
    done += bytesWritten;
  }
}
