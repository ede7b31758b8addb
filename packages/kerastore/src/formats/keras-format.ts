import { rangeSource } from "@kerastore/core";
import { readKerasArchive, writeKerasArchiveTo, writeKerasDirectory } from "@kerastore/keras-v3";
import type { ModelFormat } from "./format.js";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * The Keras 3 `.keras` archive (a zip of `metadata.json`, `config.json`, `model.weights.h5`),
 * or its unzipped directory form.
 */
export const kerasFormat: ModelFormat = {
  name: "keras",
  description: "Keras 3 archive (.keras: config.json, metadata.json, model.weights.h5)",
  extensions: [".keras"],
  holds: { architecture: true, weights: true, optimizer: true },
  layout: "walk-path",
  sniff: (head) => ZIP_MAGIC.every((b, i) => head[i] === b),
  async sniffLocation({ store, path }) {
    return (await store.isDirectory(path)) && (await store.exists(`${path}/config.json`)) && (await store.exists(`${path}/model.weights.h5`));
  },
  async read({ store, path }, options) {
    if (options.values === "lazy" && !(await store.isDirectory(path))) {
      // Nothing held open: each PendingTensor reads its range of the archive when loaded.
      const source = await rangeSource(store, path);
      return (await readKerasArchive(source, { safeMode: options.safeMode !== false, values: "lazy" })).data;
    }
    return (await readKerasArchive(store, { path, safeMode: options.safeMode !== false })).data;
  },
  async write({ store, path }, data, options) {
    const tree = options.includeOptimizer === false ? { ...data, root: { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") } } : data;
    if (options.settings?.directory === true) await writeKerasDirectory(store, path, tree);
    else await writeKerasArchiveTo(store, path, tree);
  },
};
