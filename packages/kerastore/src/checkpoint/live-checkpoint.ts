import { Checkpoint as FormatCheckpoint, type RestoreStatus } from "@kerastore/checkpoint";
import { type SavedNode, type Store, cannot } from "@kerastore/core";
import { Layer, Model, Variable } from "@kerastore/engine";
import { FacadeError } from "../errors.js";
import { toCheckpointTree } from "./checkpoint-tree.js";
import { distinctStatus } from "./distinct-status.js";
import { type CheckpointPaths, checkpointPaths } from "./file-paths.js";
import { type CheckpointOptimizer, LiveBinding, isCheckpointOptimizer, optimizerOf } from "./live-binding.js";

/** What a {@link Checkpoint} can track by name: a model, a layer, a variable or an optimizer. */
export type Trackable = Layer | Variable | CheckpointOptimizer;

/** Options of {@link Checkpoint}. */
export interface CheckpointOptions {
  /** Where paths point; default the local file system (paths relative to the working directory). */
  readonly store?: Store | undefined;
}

const SAVE_COUNTER = "save_counter";

/**
 * The format package's Checkpoint over the tree of live objects: every write snapshots the
 * live values; every read restores into a fresh tree and puts the changed values back.
 */
class LiveFormatCheckpoint extends FormatCheckpoint {
  readonly #objects: Readonly<Record<string, Trackable>>;

  constructor(store: Store, objects: Readonly<Record<string, Trackable>>) {
    super(store, {});
    this.#objects = objects;
  }

  override async write(prefix: string): Promise<string> {
    this.#refresh(false);
    return super.write(prefix);
  }

  override async read(prefix: string): Promise<RestoreStatus> {
    const binding = this.#refresh(true);
    const status = distinctStatus(await super.read(prefix));
    binding.apply();
    return status;
  }

  /** Rebuilds the root from the live objects, keeping the save counter. */
  #refresh(keras3Aliases: boolean): LiveBinding {
    const binding = new LiveBinding();
    const names = Object.keys(this.#objects).sort();
    const live: SavedNode = { className: "Checkpoint", variables: [], children: [] };
    const variableNames: string[] = [];
    const models: Model[] = [];
    // Layers first, then variables, then optimizers: slots link to variables already bound.
    for (const name of names) {
      const obj = this.#objects[name]!;
      if (obj instanceof Model) {
        models.push(obj);
        live.children.push({ name, node: binding.model(obj, optimizerOf(obj)) });
      } else if (obj instanceof Layer) live.children.push({ name, node: binding.layer(obj) });
    }
    for (const name of names) {
      const obj = this.#objects[name]!;
      if (obj instanceof Variable) {
        live.variables.push(binding.variable(obj));
        variableNames.push(name);
      }
    }
    const trainables = models.flatMap((m) => m.trainableWeights);
    for (const name of names) {
      const obj = this.#objects[name]!;
      if (!(obj instanceof Layer) && !(obj instanceof Variable))
        live.children.push({ name, node: binding.optimizer(obj, trainables) });
    }
    live.extras = { variableNames };
    const tree = toCheckpointTree(live, { keras3Aliases });
    const counters = this.root.variables.filter((v) => v.name === SAVE_COUNTER && !tree.variables.includes(v));
    const treeNames = tree.extras?.variableNames;
    this.root.variables = [...tree.variables, ...counters];
    this.root.children = tree.children;
    this.root.extras = {
      edgeOrder: [...names, SAVE_COUNTER],
      variableNames: [
        ...(Array.isArray(treeNames) ? treeNames : tree.variables.map((v) => v.name)),
        ...counters.map(() => SAVE_COUNTER),
      ],
    };
    return binding;
  }
}

/**
 * `tf.train.Checkpoint` over live objects: `new keras.Checkpoint({ model, optimizer })`.
 *
 * `save(prefix)` writes `prefix-1`, `prefix-2`, ... with a `save_counter` and names the newest
 * in the directory's `checkpoint` file; `write(prefix)` writes exactly `prefix`; `read` and
 * `restore` match the checkpoint's object graph onto the objects by edge names and return a
 * status (`assertConsumed`, `assertExistingObjectsMatched`, `assertNontrivialMatch`,
 * `expectPartial`). Models are named as tf.keras 2 names them (`layer_with_weights-0/kernel`);
 * restores also accept the names Keras 3 on TensorFlow writes (`_operations/1/_kernel`).
 */
export class Checkpoint {
  readonly #inner: LiveFormatCheckpoint;
  readonly #paths: CheckpointPaths;

  constructor(objects: Readonly<Record<string, Trackable>>, options: CheckpointOptions = {}) {
    for (const [name, obj] of Object.entries(objects)) {
      if (!(obj instanceof Layer) && !(obj instanceof Variable) && !isCheckpointOptimizer(obj)) {
        throw new FacadeError(
          "invalid-argument",
          cannot("track", `"${name}" in a Checkpoint`, "it is not a model, layer, variable or optimizer"),
        );
      }
      if (name === SAVE_COUNTER)
        throw new FacadeError(
          "invalid-argument",
          cannot("track", `"${name}" in a Checkpoint`, "the name is the checkpoint's own counter"),
        );
    }
    this.#paths = checkpointPaths(options.store);
    this.#inner = new LiveFormatCheckpoint(this.#paths.store, { ...objects });
  }

  /** How many times `save` has run (restored along with the values). */
  get saveCounter(): number {
    return this.#inner.saveCounter;
  }

  /** The store the checkpoint's paths point into. */
  get store(): Store {
    return this.#paths.store;
  }

  /** Increments `save_counter`, writes `<prefix>-<counter>`, updates the state file; returns that path. */
  async save(prefix: string): Promise<string> {
    const written = await this.#inner.save(this.#paths.toStore(prefix));
    return `${prefix}${written.slice(written.lastIndexOf("-"))}`;
  }

  /** Writes exactly `prefix` (no counter increment, no state file); returns `prefix`. */
  async write(prefix: string): Promise<string> {
    await this.#inner.write(this.#paths.toStore(prefix));
    return prefix;
  }

  /** Restores the live objects from the checkpoint at `prefix`. */
  read(prefix: string): Promise<RestoreStatus> {
    return this.#inner.read(this.#paths.toStore(prefix));
  }

  /** Same as {@link read} (TensorFlow's differ only for TF1 name-based checkpoints). */
  restore(prefix: string): Promise<RestoreStatus> {
    return this.read(prefix);
  }

  /** The format-level checkpoint underneath (what a CheckpointManager drives). */
  get formatCheckpoint(): FormatCheckpoint {
    return this.#inner;
  }

  /** The store path of a user's path, and back (for CheckpointManager). */
  get paths(): CheckpointPaths {
    return this.#paths;
  }
}
