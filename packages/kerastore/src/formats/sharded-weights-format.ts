import { type RandomAccessSource, type SavedModelData, cannot, dirnameOf, openSource, rangeSource, joinPath, utf8Decode, utf8Encode } from "@kerastore/core";
import { keras3WeightsShards, readKeras3WeightsShards } from "@kerastore/h5";
import { FacadeError } from "../errors.js";
import type { ModelFormat } from "./format.js";

/** Keras's default shard size when none is given (ShardedH5IOStore), in GB. */
const DEFAULT_MAX_SHARD_GB = 5;

/**
 * Keras 3 sharded weights: `model.weights.json` (the index) beside `model_00000.weights.h5`, ...
 * (`save_weights("model.weights.json", max_shard_size=...)`). The same walk-path layout as a
 * single `.weights.h5`, split by size. Write settings: `maxShardSize` in GB, as Keras takes it
 * (default 5). Shards are written first and the index last, each atomically, so an index
 * that exists names complete shards.
 */
export const shardedWeightsFormat: ModelFormat = {
  name: "weights-json",
  description: "Keras 3 sharded weights (.weights.json index + name_NNNNN.weights.h5 shards)",
  extensions: [".weights.json"],
  holds: { architecture: false, weights: true, optimizer: true },
  layout: "walk-path",
  sniff: (head) => {
    const text = utf8Decode(head.subarray(0, Math.min(head.length, 512)), { fatal: false });
    return /^\s*\{/.test(text) && text.includes('"weight_map"');
  },
  async read({ store, path }, options) {
    const dir = dirnameOf(path);
    const index = await store.read(path);
    if (options.values === "lazy") {
      // Nothing held open: each PendingTensor reads its range of its shard when loaded.
      return readKeras3WeightsShards(index, (name) => rangeSource(store, joinPath(dir, name)), { name: path, values: "lazy" });
    }
    // Each shard by range: its metadata, then each tensor into a buffer of its own.
    const sources: RandomAccessSource[] = [];
    try {
      return await readKeras3WeightsShards(
        index,
        async (name) => {
          const source = await openSource(store, joinPath(dir, name));
          sources.push(source);
          return source;
        },
        { name: path },
      );
    } finally {
      for (const source of sources) await source.close();
    }
  },
  async write({ store, path }, data, options) {
    const gb = options.settings?.maxShardSize ?? DEFAULT_MAX_SHARD_GB;
    if (typeof gb !== "number" || !(gb > 0)) {
      throw new FacadeError("format-cannot-write", cannot("write", path, `maxShardSize must be a positive number of GB, got ${JSON.stringify(gb)}`), { path });
    }
    const tree: SavedModelData =
      options.includeOptimizer === false ? { ...data, root: { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") } } : data;
    const { index, shards } = keras3WeightsShards(tree, { indexName: path, maxShardBytes: gb * 1024 ** 3 });
    const dir = dirnameOf(path);
    for (const shard of shards) await store.write(joinPath(dir, shard.name), shard.chunks);
    await store.write(path, utf8Encode(index));
  },
};
