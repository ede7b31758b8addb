import { CheckpointManager as FormatCheckpointManager, latestCheckpoint as latestInStore } from "@kerastore/checkpoint";
import type { Store } from "@kerastore/core";
import { checkpointPaths } from "./file-paths.js";
import type { Checkpoint } from "./live-checkpoint.js";

/**
 * The newest checkpoint prefix in `directory` (`tf.train.latest_checkpoint`): the one the
 * directory's `checkpoint` file names, when its `.index` exists; undefined otherwise.
 */
export async function latestCheckpoint(
  directory: string,
  options: { readonly store?: Store | undefined } = {},
): Promise<string | undefined> {
  const paths = checkpointPaths(options.store);
  const found = await latestInStore(paths.store, paths.toStore(directory));
  return found === undefined ? undefined : paths.toUser(found, directory);
}

/** Options of {@link CheckpointManager.open} (`tf.train.CheckpointManager`'s arguments). */
export interface CheckpointManagerOptions {
  /** The directory checkpoints go to. */
  readonly directory: string;
  /** Keep at most this many recent checkpoints; undefined keeps all. */
  readonly maxToKeep?: number | undefined;
  /** Also keep one checkpoint every this many hours, beyond `maxToKeep`. */
  readonly keepCheckpointEveryNHours?: number | undefined;
  /** The name before the number (default `ckpt`). */
  readonly checkpointName?: string | undefined;
  /** Save only when `stepCounter()` moved at least this much since the last save. */
  readonly checkpointInterval?: number | undefined;
  /** The training step, for `checkpointInterval`. */
  readonly stepCounter?: (() => number) | undefined;
  /** The clock in seconds (default `Date.now() / 1000`). */
  readonly now?: (() => number) | undefined;
}

/**
 * `tf.train.CheckpointManager` over a live {@link Checkpoint}: numbered saves in a directory,
 * keeping `maxToKeep` (plus one every `keepCheckpointEveryNHours`). A save writes the new
 * checkpoint whole, then the state file, and only then deletes old ones.
 */
export class CheckpointManager {
  readonly #inner: FormatCheckpointManager;
  readonly #directory: string;
  readonly #toUser: (storePath: string) => string;

  private constructor(inner: FormatCheckpointManager, directory: string, toUser: (storePath: string) => string) {
    this.#inner = inner;
    this.#directory = directory;
    this.#toUser = toUser;
  }

  /** Opens a manager over `options.directory`, picking up the checkpoints its state file lists. */
  static async open(checkpoint: Checkpoint, options: CheckpointManagerOptions): Promise<CheckpointManager> {
    const { paths } = checkpoint;
    const { directory, checkpointName, now, ...rest } = options;
    const inner = await FormatCheckpointManager.open(paths.store, checkpoint.formatCheckpoint, {
      ...rest,
      directory: paths.toStore(directory),
      ...(checkpointName === undefined ? {} : { checkpointName }),
      ...(now === undefined ? {} : { now }),
    });
    return new CheckpointManager(inner, directory, (p) => paths.toUser(p, directory));
  }

  /** The directory it manages. */
  get directory(): string {
    return this.#directory;
  }

  /** The kept checkpoints, oldest first. */
  get checkpoints(): string[] {
    return this.#inner.checkpoints.map(this.#toUser);
  }

  /** The newest kept checkpoint, if any. */
  get latestCheckpoint(): string | undefined {
    const latest = this.#inner.latestCheckpoint;
    return latest === undefined ? undefined : this.#toUser(latest);
  }

  /**
   * Saves `<directory>/<name>-<number>` (`checkpointNumber`, else the incremented save
   * counter); returns its path, or undefined when `checkpointInterval` says it is too early.
   */
  async save(checkpointNumber?: number): Promise<string | undefined> {
    const written = await this.#inner.save(checkpointNumber);
    return written === undefined ? undefined : this.#toUser(written);
  }
}
