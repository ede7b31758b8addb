import { type Store, basenameOf, cannot, dirnameOf, joinPath } from "@kerastore/core";
import type { Checkpoint } from "./checkpoint.js";
import { CheckpointError } from "./errors.js";
import { indexFileName } from "./file-names.js";
import { readCheckpointState, resolveStatePath, writeCheckpointState } from "./state-file.js";

/** Options of a CheckpointManager; every field is optional but `directory`. */
export interface CheckpointManagerOptions {
  /** The directory (store path) checkpoints go to. */
  readonly directory: string;
  /** Keep at most this many recent checkpoints (older ones are deleted); undefined keeps all. */
  readonly maxToKeep?: number | undefined;
  /** Also keep one checkpoint every this many hours, beyond `maxToKeep`. */
  readonly keepCheckpointEveryNHours?: number | undefined;
  /** File name before the number (default `ckpt`). */
  readonly checkpointName?: string;
  /** Save only when `stepCounter()` moved at least this much since the last save. */
  readonly checkpointInterval?: number | undefined;
  /** The training step, for `checkpointInterval` and as the default checkpoint number. */
  readonly stepCounter?: (() => number) | undefined;
  /** The clock in seconds (default `Date.now() / 1000`); tests pass their own. */
  readonly now?: () => number;
}

const DEFAULTS: Readonly<{ checkpointName: string; now: () => number }> = Object.freeze({
  checkpointName: "ckpt",
  now: () => Date.now() / 1000,
});

/**
 * Keeps a numbered series of checkpoints in a directory, like `tf.train.CheckpointManager`.
 *
 * A save writes the new checkpoint completely (data shards, then `.index`), then the state file
 * naming it, and only then deletes checkpoints beyond `maxToKeep`: an interrupted save leaves
 * the previous checkpoint named and whole.
 */
export class CheckpointManager {
  readonly #checkpoint: Checkpoint;
  readonly #store: Store;
  readonly #options: CheckpointManagerOptions & typeof DEFAULTS;
  #kept: { prefix: string; time: number }[] = [];
  #lastPreserved: number;
  #lastStep: number | undefined;

  private constructor(store: Store, checkpoint: Checkpoint, options: CheckpointManagerOptions) {
    this.#store = store;
    this.#checkpoint = checkpoint;
    this.#options = { ...DEFAULTS, ...options };
    if (options.maxToKeep !== undefined && (!Number.isInteger(options.maxToKeep) || options.maxToKeep < 1)) {
      throw new CheckpointError(
        "invalid-argument",
        cannot("make", "a CheckpointManager", `maxToKeep ${options.maxToKeep} is not a positive integer`),
      );
    }
    this.#lastPreserved = this.#options.now();
  }

  /** Opens a manager over `options.directory`, picking up the checkpoints its state file lists. */
  static async open(
    store: Store,
    checkpoint: Checkpoint,
    options: CheckpointManagerOptions,
  ): Promise<CheckpointManager> {
    const manager = new CheckpointManager(store, checkpoint, options);
    const state = await readCheckpointState(store, options.directory);
    if (state !== undefined) {
      const now = manager.#options.now();
      manager.#kept = state.allModelCheckpointPaths.map((p, i) => ({
        prefix: resolveStatePath(options.directory, p),
        time: state.allModelCheckpointTimestamps[i] ?? now,
      }));
      manager.#lastPreserved = state.lastPreservedTimestamp ?? now;
    }
    return manager;
  }

  /** The kept checkpoint prefixes, oldest first. */
  get checkpoints(): string[] {
    return this.#kept.map((k) => k.prefix);
  }

  /** The newest kept checkpoint, if any. */
  get latestCheckpoint(): string | undefined {
    return this.#kept.at(-1)?.prefix;
  }

  /**
   * Saves a new checkpoint `<directory>/<name>-<number>` (number: `checkpointNumber`, else the
   * incremented save counter). Returns its prefix, or undefined when `checkpointInterval` says
   * it is too early.
   */
  async save(checkpointNumber?: number): Promise<string | undefined> {
    const { checkpointInterval, stepCounter } = this.#options;
    if (checkpointInterval !== undefined && stepCounter !== undefined) {
      const step = stepCounter();
      if (this.#lastStep !== undefined && step - this.#lastStep < checkpointInterval) return undefined;
      this.#lastStep = step;
    }
    const number = checkpointNumber ?? this.#checkpoint.saveCounter + 1;
    const { directory, checkpointName, maxToKeep, keepCheckpointEveryNHours } = this.#options;
    const prefix = joinPath(directory, `${checkpointName}-${number}`);
    // 1. The new checkpoint, whole: data shard, then .index (each file atomic).
    await this.#checkpoint.saveAs(prefix);
    // 2. The state file naming it; 3. only then, deletions.
    const now = this.#options.now();
    const kept = [...this.#kept.filter((k) => k.prefix !== prefix), { prefix, time: now }];
    let lastPreserved = this.#lastPreserved;
    const doomed: string[] = [];
    if (maxToKeep !== undefined) {
      while (kept.length > maxToKeep) {
        const old = kept.shift()!;
        if (keepCheckpointEveryNHours !== undefined && old.time - lastPreserved >= keepCheckpointEveryNHours * 3600) {
          lastPreserved = old.time;
        } else {
          doomed.push(old.prefix);
        }
      }
    }
    await writeCheckpointState(this.#store, directory, {
      modelCheckpointPath: basenameOf(prefix),
      allModelCheckpointPaths: kept.map((k) => basenameOf(k.prefix)),
      allModelCheckpointTimestamps: kept.map((k) => k.time),
      lastPreservedTimestamp: lastPreserved,
    });
    this.#kept = kept;
    this.#lastPreserved = lastPreserved;
    for (const old of doomed) await deleteCheckpoint(this.#store, old);
    return prefix;
  }
}

/** Deletes a checkpoint's files: the `.index` first, so it stops counting as a checkpoint. */
export async function deleteCheckpoint(store: Store, prefix: string): Promise<void> {
  await store.remove(indexFileName(prefix));
  const dir = dirnameOf(prefix);
  const stem = `${basenameOf(prefix)}.data-`;
  for (const name of await store.list(dir)) {
    if (name.startsWith(stem)) await store.remove(joinPath(dir, name));
  }
}
