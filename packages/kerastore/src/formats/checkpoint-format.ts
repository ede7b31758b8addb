import { readCheckpoint, writeCheckpoint, writeCheckpointState } from "@kerastore/checkpoint";
import { basenameOf, dirnameOf } from "@kerastore/core";
import { toCheckpointTree } from "../checkpoint/checkpoint-tree.js";
import type { ModelFormat } from "./format.js";

/**
 * A TensorFlow checkpoint (`prefix.index` + `prefix.data-*`): weights and optimizer state by
 * object-graph path, the default of the guide's `save_weights`. Addressed by its prefix.
 *
 * Writing renames the saved tree into tf.keras 2's object graph (`layer_with_weights-N`,
 * `optimizer` with slots: see `toCheckpointTree`) and writes the `checkpoint` state file.
 */
export const checkpointFormat: ModelFormat = {
  name: "checkpoint",
  description: "TensorFlow checkpoint (prefix.index + prefix.data-NNNNN-of-MMMMM)",
  extensions: [".index"],
  holds: { architecture: false, weights: true, optimizer: true },
  layout: "object-graph",
  async sniffLocation({ store, path }) {
    return (await store.exists(`${checkpointPrefix(path)}.index`)) && !(await store.isDirectory(checkpointPrefix(path)));
  },
  async read({ store, path }) {
    return { root: await readCheckpoint(store, checkpointPrefix(path)) };
  },
  async write({ store, path }, data, options) {
    const prefix = checkpointPrefix(path);
    const root = options.includeOptimizer === false ? { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") } : data.root;
    await writeCheckpoint(store, prefix, toCheckpointTree(root));
    const name = basenameOf(prefix);
    await writeCheckpointState(store, dirnameOf(prefix), { modelCheckpointPath: name, allModelCheckpointPaths: [name], allModelCheckpointTimestamps: [] });
  },
};

/** The prefix of a checkpoint named by its prefix or by its `.index` file. */
export function checkpointPrefix(path: string): string {
  return path.endsWith(".index") ? path.slice(0, -".index".length) : path;
}
