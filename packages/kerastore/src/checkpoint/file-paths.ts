import type { Store } from "@kerastore/core";
import { type CheckpointPaths, fileSystem } from "../file-system.js";

export type { CheckpointPaths };

/** Paths for `options.store`, or the runtime's file system (Node's disk) when it is undefined. */
export function checkpointPaths(store: Store | undefined): CheckpointPaths {
  if (store !== undefined) {
    return { store, toStore: (p) => p, toUser: (p) => p };
  }
  return fileSystem().checkpointPaths();
}
