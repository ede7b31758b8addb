import {
  type HostTensor,
  type SavedNode,
  type SavedVariable,
  type Store,
  dirnameOf,
  basenameOf,
  hostTensor,
} from "@kerastore/core";
import { writeCheckpoint } from "./checkpoint-io.js";
import { type RestoreStatus, restoreCheckpoint } from "./restore.js";
import { writeCheckpointState } from "./state-file.js";

/** What a Checkpoint tracks by name: a value, a variable, or a node with variables and children. */
export type CheckpointObject = HostTensor | SavedVariable | SavedNode;

const SAVE_COUNTER = "save_counter";

/** Makes a variable for a Checkpoint (`path` defaults to the name). */
export function variable(name: string, value: HostTensor, path = name): SavedVariable {
  return { name, path, trainable: true, value };
}

/**
 * A format-level `tf.train.Checkpoint` over plain data: named variables and nested nodes.
 *
 * `save(prefix)` writes `prefix-1`, `prefix-2`, ... with a `save_counter` and updates the
 * directory's `checkpoint` state file; `write(prefix)` writes exactly `prefix`; `read` and
 * `restore` put stored values back into the tracked variables and return a status.
 */
export class Checkpoint {
  /** The root node: one edge per tracked name (sorted, as TensorFlow orders keyword arguments). */
  readonly root: SavedNode;
  readonly #store: Store;
  #counter: SavedVariable | undefined;

  constructor(store: Store, objects: Record<string, CheckpointObject>) {
    this.#store = store;
    this.root = { className: "Checkpoint", variables: [], children: [] };
    const names = Object.keys(objects).sort();
    for (const name of names) {
      const obj = objects[name]!;
      if ("children" in obj) this.root.children.push({ name, node: obj });
      else if ("value" in obj && "trainable" in obj) this.root.variables.push(obj);
      else this.root.variables.push(variable(name, obj));
    }
    this.root.extras = { edgeOrder: [...names, SAVE_COUNTER] };
  }

  /** The tracked variable or node named `name`. */
  get(name: string): SavedVariable | SavedNode | undefined {
    return this.root.variables.find((v) => v.name === name) ?? this.root.children.find((e) => e.name === name)?.node;
  }

  /** How many times `save` has run (restored along with the values). */
  get saveCounter(): number {
    return this.#counter === undefined ? 0 : Number((this.#counter.value.data as BigInt64Array)[0]);
  }

  #ensureCounter(): SavedVariable {
    if (this.#counter === undefined) {
      this.#counter = variable(SAVE_COUNTER, hostTensor("int64", [], new BigInt64Array(1)));
      this.root.variables.push(this.#counter);
    }
    return this.#counter;
  }

  /** Writes the checkpoint at exactly `prefix` (no numbering, no state file); returns `prefix`. */
  async write(prefix: string): Promise<string> {
    await writeCheckpoint(this.#store, prefix, this.root);
    return prefix;
  }

  /**
   * Increments `save_counter`, writes `prefix-<counter>`, and records it in the `checkpoint`
   * state file beside it (paths relative to the directory). Returns the written prefix.
   */
  async save(prefix: string): Promise<string> {
    const path = `${prefix}-${this.saveCounter + 1}`;
    await this.saveAs(path);
    const dir = dirnameOf(path);
    const name = basenameOf(path);
    // As TensorFlow's Checkpoint.save: the state file names only the newest save.
    await writeCheckpointState(this.#store, dir, {
      modelCheckpointPath: name,
      allModelCheckpointPaths: [name],
      allModelCheckpointTimestamps: [],
    });
    return path;
  }

  /**
   * Increments `save_counter` and writes exactly `prefix`, leaving the state file alone (what
   * CheckpointManager builds on). The counter is put back when the write fails.
   */
  async saveAs(prefix: string): Promise<void> {
    const counter = this.#ensureCounter();
    const before = counter.value;
    counter.value = hostTensor("int64", [], new BigInt64Array([BigInt(this.saveCounter + 1)]));
    try {
      await this.write(prefix);
    } catch (error) {
      counter.value = before;
      throw error;
    }
  }

  /** Restores values from `prefix` (and `save_counter`, when the checkpoint has one). */
  async read(prefix: string): Promise<RestoreStatus> {
    this.#ensureCounter();
    return restoreCheckpoint(this.#store, prefix, this.root, { optionalRootVariables: [SAVE_COUNTER] });
  }

  /** Same as `read`: TensorFlow's `restore` differs only for TF1 name-based checkpoints. */
  async restore(prefix: string): Promise<RestoreStatus> {
    return this.read(prefix);
  }
}
