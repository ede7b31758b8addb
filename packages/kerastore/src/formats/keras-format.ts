import { rangeSource } from "@kerastore/core";
import { readKerasArchive, writeKerasArchiveTo, writeKerasDirectory } from "@kerastore/keras-v3";
import type { ModelReader, ModelWriter } from "./format.js";
import { withoutOptimizer } from "./h5-formats.js";

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** The `.keras` writer's own options (`settings` of `save`). */
export interface KerasWriteOptions {
  /** Write the unzipped directory form rather than the archive. Default false. */
  readonly directory?: boolean | undefined;
}

/**
 * The Keras 3 `.keras` archive (a zip of `metadata.json`, `config.json`, `model.weights.h5`),
 * or its unzipped directory form.
 */
export const kerasFormat: ModelReader & ModelWriter<KerasWriteOptions> = {
  name: "keras",
  description: "Keras 3 archive (.keras: config.json, metadata.json, model.weights.h5)",
  extensions: [".keras"],
  holds: { architecture: true, weights: true, optimizer: true },
  sniff: (head) => ZIP_MAGIC.every((b, i) => head[i] === b),
  async sniffLocation({ store, path }) {
    return (
      (await store.isDirectory(path)) &&
      (await store.exists(`${path}/config.json`)) &&
      (await store.exists(`${path}/model.weights.h5`))
    );
  },
  async read({ store, path }, options) {
    const lazy = options.values === "lazy" && !(await store.isDirectory(path));
    // Lazy: nothing held open; each PendingTensor reads its range of the archive when loaded.
    const data = lazy
      ? (await readKerasArchive(await rangeSource(store, path), { safeMode: options.safeMode, values: "lazy" })).data
      : (await readKerasArchive(store, { path, safeMode: options.safeMode })).data;
    return {
      data,
      layout: "walk-path",
      holds: kerasFormat.holds,
      format: kerasFormat.name,
      description: kerasFormat.description,
    };
  },
  plan: (options) => ({ dialect: "keras3", computes: "by-name", optimizer: options.includeOptimizer }),
  async write({ store, path }, data, options) {
    const tree = options.includeOptimizer ? data : withoutOptimizer(data);
    if (options.directory === true) await writeKerasDirectory(store, path, tree);
    else await writeKerasArchiveTo(store, path, tree);
  },
};
