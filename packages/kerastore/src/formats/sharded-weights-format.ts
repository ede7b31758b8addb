import {
  bytesSource,
  cannot,
  dirnameOf,
  joinPath,
  openSource,
  type RandomAccessSource,
  rangeSource,
  utf8Decode,
  utf8Encode,
  writeFileSet,
} from "@kerastore/core";
import { keras3WeightsShards, readKeras3WeightsShards } from "@kerastore/h5";
import { FacadeError } from "../errors.js";
import type { ModelReader, ModelWriter } from "./format.js";
import { withoutOptimizer } from "./h5-formats.js";

/** The sharded weights writer's own options (`settings` of `save`, or `maxShardSize` of `saveWeights`). */
export interface ShardedWeightsWriteOptions {
  /** The largest shard, in GB as Keras takes it. Default 5. */
  readonly maxShardSize?: number | undefined;
}

/** Keras's default shard size when none is given (ShardedH5IOStore), in GB. */
const DEFAULT_MAX_SHARD_GB = 5;

/**
 * Keras 3 sharded weights: `model.weights.json` (the index) beside `model_00000.weights.h5`, ...
 * (`save_weights("model.weights.json", max_shard_size=...)`). The same walk-path layout as a
 * single `.weights.h5`, split by size. Write settings: `maxShardSize` in GB, as Keras takes it
 * (default 5). Shards are written first and the index last, each atomically, so an index
 * that exists names complete shards.
 */
export const shardedWeightsFormat: ModelReader & ModelWriter<ShardedWeightsWriteOptions> = {
  name: "weights-json",
  description: "Keras 3 sharded weights (.weights.json index + name_NNNNN.weights.h5 shards)",
  extensions: [".weights.json"],
  holds: { architecture: false, weights: true, optimizer: true },
  sniff: (head) => {
    const text = utf8Decode(head.subarray(0, Math.min(head.length, 512)), { fatal: false });
    return /^\s*\{/.test(text) && text.includes('"weight_map"');
  },
  async read({ store, path }, options) {
    const dir = dirnameOf(path);
    const index = await store.read(path);
    const { holds, name, description } = shardedWeightsFormat;
    if (options.values === "lazy") {
      // Nothing held open: each PendingTensor reads its range of its shard when loaded.
      const data = await readKeras3WeightsShards(index, (shard) => rangeSource(store, joinPath(dir, shard)), {
        name: path,
        values: "lazy",
      });
      return { data, layout: "walk-path", holds, format: name, description };
    }
    // Each shard by range where the store opens files (a Node file handle: its metadata, then
    // each tensor into a buffer of its own, no whole-shard buffer); else, as over HTTP, in one
    // request per shard rather than a round trip per metadata block and tensor.
    const sources: RandomAccessSource[] = [];
    try {
      const data = await readKeras3WeightsShards(
        index,
        async (shard) => {
          const at = joinPath(dir, shard);
          const named = store.description === "memory" ? at : `${store.description}/${at}`;
          const source =
            store.open !== undefined ? await openSource(store, at) : bytesSource(await store.read(at), named);
          sources.push(source);
          return source;
        },
        { name: path },
      );
      return { data, layout: "walk-path", holds, format: name, description };
    } finally {
      for (const source of sources) await source.close();
    }
  },
  plan: (options) => ({ dialect: "keras3", computes: "by-name", optimizer: options.includeOptimizer }),
  async write({ store, path }, data, options) {
    const gb = options.maxShardSize ?? DEFAULT_MAX_SHARD_GB;
    if (typeof gb !== "number" || !(gb > 0)) {
      throw new FacadeError(
        "format-cannot-write",
        cannot("write", path, `maxShardSize must be a positive number of GB, got ${JSON.stringify(gb)}`),
        { path },
      );
    }
    const tree = options.includeOptimizer ? data : withoutOptimizer(data);
    const { index, shards } = keras3WeightsShards(tree, { indexName: path, maxShardBytes: gb * 1024 ** 3 });
    const dir = dirnameOf(path);
    // The index and its shards change as one set: an old index never names new shards.
    await writeFileSet(store, path, async (staged) => {
      for (const shard of shards) await staged.write(joinPath(dir, shard.name), shard.chunks);
      await staged.write(path, utf8Encode(index));
    });
  },
};
