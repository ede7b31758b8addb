import { readCheckpoint } from "@kerastore/checkpoint";
import type { ModelFormat } from "./format.js";

/**
 * A TensorFlow checkpoint (`prefix.index` + `prefix.data-*`): weights and optimizer state by
 * object-graph path, the default of the guide's `save_weights`. Addressed by its prefix.
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
};

/** The prefix of a checkpoint named by its prefix or by its `.index` file. */
export function checkpointPrefix(path: string): string {
  return path.endsWith(".index") ? path.slice(0, -".index".length) : path;
}
