import * as nodePath from "node:path";
import type { Store } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";

/**
 * How checkpoint paths a user gives map to store paths and back: identity inside a store the
 * user passed; otherwise file-system paths (relative to the working directory, or absolute)
 * inside a store over the file-system root.
 */
export interface CheckpointPaths {
  readonly store: Store;
  /** The store path of a user's path. */
  toStore(path: string): string;
  /** A store path written inside the user's `directory`, as the user would name it. */
  toUser(storePath: string, userDirectory: string): string;
}

/** Paths for `options.store`, or the local file system when it is undefined. */
export function checkpointPaths(store: Store | undefined): CheckpointPaths {
  if (store !== undefined) {
    return { store, toStore: (p) => p, toUser: (p) => p };
  }
  const root = nodePath.parse(nodePath.resolve(".")).root;
  return {
    store: new NodeStore(root),
    toStore: (p) => nodePath.relative(root, nodePath.resolve(p)).split(nodePath.sep).join("/"),
    toUser: (p, dir) => nodePath.join(dir, nodePath.basename(p)),
  };
}
