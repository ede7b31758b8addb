/** The local disk as the facade's file system: what the Node entry installs. */
import * as nodePath from "node:path";
import type { Store } from "@kerastore/core";
import { NodeStore, storeForFile } from "@kerastore/core/node";
import { type FileSystem, isUrl, openUrl } from "./file-system.js";

export const nodeFileSystem: FileSystem = {
  open(target) {
    // http(s) URLs load over fetch in Node too; everything else is a path on this machine.
    if (/^https?:/i.test(target) && isUrl(target)) return openUrl(target);
    const { store, name } = storeForFile(target);
    return { store: store as Store, path: name };
  },
  checkpointPaths() {
    const root = nodePath.parse(nodePath.resolve(".")).root;
    return {
      store: new NodeStore(root),
      toStore: (p) => nodePath.relative(root, nodePath.resolve(p)).split(nodePath.sep).join("/"),
      toUser: (p, dir) => nodePath.join(dir, nodePath.basename(p)),
    };
  },
};
