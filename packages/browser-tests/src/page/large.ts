// Large models in the page: sharded weights read by URL with range requests, one layer loaded.
import {
  HttpStore,
  type NumericHostTensor,
  isPendingTensor,
  loadTreeValues,
  openSource,
  treeByteSize,
  walkSavedTree,
} from "@kerastore/core";
import { readKeras3WeightsShards } from "@kerastore/h5";

/** What a partial load of sharded weights by URL read. */
export interface PartialLoad {
  /** Bytes of all the weights the index and shards describe. */
  readonly weightBytes: number;
  /** Bytes of the weights loaded (the asked layer's). */
  readonly loadedBytes: number;
  /** Variables still in the shards (not fetched). */
  readonly pending: number;
  /** The asked layer's variables: shape, first value, last value. */
  readonly values: { shape: number[]; first: number; last: number }[];
}

/**
 * Reads sharded weights (`model.weights.json` + shards) under `baseUrl` by range requests: every
 * shard's metadata, then only the variables of `layer`.
 */
export async function loadShardedLayer(baseUrl: string, index: string, layer: string): Promise<PartialLoad> {
  const store = new HttpStore(new URL(baseUrl, location.href).href);
  const data = await readKeras3WeightsShards(await store.read(index), (name) => openSource(store, name), {
    name: index,
    values: "lazy",
  });
  const weightBytes = treeByteSize(data.root);
  const loadedBytes = await loadTreeValues(data.root, { filter: (_v, path) => path[path.length - 1] === layer });
  let pending = 0;
  const values: PartialLoad["values"] = [];
  for (const { node, path } of walkSavedTree(data.root)) {
    for (const v of node.variables) {
      if (isPendingTensor(v.value)) pending++;
      else if (path[path.length - 1] === layer) {
        const t = v.value as NumericHostTensor<"float32">;
        values.push({ shape: [...t.shape], first: t.data[0]!, last: t.data[t.data.length - 1]! });
      }
    }
  }
  return { weightBytes, loadedBytes, pending, values };
}
