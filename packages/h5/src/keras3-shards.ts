import {
  type HostTensor,
  type RandomAccessSource,
  type SavedModelData,
  cannot,
  itemSize,
  parsePythonJson,
  utf8Decode,
} from "@kerastore/core";
import { H5Error } from "./errors.js";
import { type H5ReadBackend, type H5ReadFile, withH5File, withH5Source } from "./h5-read-file.js";
import {
  type Keras3PartialEntry,
  type Keras3VarsEntry,
  keras3EntriesToTree,
  readKeras3PartialEntries,
  wholeEntry,
} from "./read-keras3-weights.js";
import { nativeChunks } from "./write-backend.js";
import { keras3WalkPaths } from "./write-keras3-weights.js";

/**
 * Keras 3 sharded weights: `model.weights.json` (an index) beside `model_00000.weights.h5`,
 * `model_00001.weights.h5`, ... (`save_weights(path, max_shard_size=...)`). Each shard is a
 * `.weights.h5` holding some of the variables, each dataset named by its index in its whole
 * `vars` group; the index's `weight_map` says which shards hold each group:
 *
 *   { "metadata": { "total_size": 42288.0 },
 *     "weight_map": { "/layers/dense/vars": ["model_00000.weights.h5"], ... } }
 */

/** One shard file to write: its name (a sibling of the index) and its bytes. */
export interface Keras3Shard {
  readonly name: string;
  readonly chunks: Uint8Array[];
}

export interface Keras3ShardedWeights {
  /** The index file's text (`*.weights.json`). */
  readonly index: string;
  readonly shards: Keras3Shard[];
}

export interface ShardWeightsOptions {
  /** The index file's name (`model.weights.json`); shards are named after it. */
  readonly indexName: string;
  /** The most bytes of variable data per shard; a single variable above it is refused, as Keras does. */
  readonly maxShardBytes: number;
}

/** At most this many shards are read from an index (a lying index must not open a million files). */
export const MAX_SHARDS = 100_000;

/** `model.weights.json` -> `model` (Keras names shards `model_00000.weights.h5`). */
function shardBase(indexName: string): string {
  const file = indexName.slice(indexName.lastIndexOf("/") + 1);
  const stem = file.includes(".") ? file.slice(0, file.lastIndexOf(".")) : file;
  return stem.replace(".weights", "");
}

/**
 * Splits a weights tree into shards as Keras does: variables in walk order, a new shard whenever
 * the next variable would take the current one past `maxShardBytes`.
 */
export function keras3WeightsShards(data: SavedModelData, options: ShardWeightsOptions): Keras3ShardedWeights {
  const { indexName, maxShardBytes } = options;
  if (!(maxShardBytes > 0)) {
    throw new H5Error(
      "invalid-tree",
      cannot("write", indexName, `the maximum shard size must be positive, got ${maxShardBytes}`),
    );
  }
  const base = shardBase(indexName);
  type Placed = { group: string; name: string | undefined; index: number; value: HostTensor };
  const shards: Placed[][] = [[]];
  const weightMap: Record<string, string[]> = {};
  const shardName = (i: number): string => `${base}_${String(i).padStart(5, "0")}.weights.h5`;
  let current = 0;
  let total = 0;
  for (const [path, node] of keras3WalkPaths(data.root)) {
    const group = path === "" ? "/vars" : `/${path}/vars`;
    for (const [index, variable] of node.variables.entries()) {
      const value = variable.value;
      if (value.dtype === "string") {
        throw new H5Error(
          "invalid-tree",
          cannot("write", `${group}/${index} to ${indexName}`, "string variables cannot be sharded"),
        );
      }
      const size = value.data.length * itemSize(value.dtype);
      total += size;
      if (size > maxShardBytes) {
        throw new H5Error(
          "invalid-tree",
          cannot(
            "write",
            `${group}/${index} to ${indexName}`,
            `it has ${size} bytes, more than the maximum shard size of ${maxShardBytes}`,
            "raise maxShardSize",
          ),
        );
      }
      current += size;
      if (current > maxShardBytes) {
        shards.push([]);
        current = size;
      }
      shards.at(-1)!.push({ group, name: node.name, index, value });
      const file = shardName(shards.length - 1);
      const holders = weightMap[group] ?? [];
      if (!holders.includes(file)) holders.push(file);
      weightMap[group] = holders;
    }
  }
  const out = shards.map((placed, i) => ({
    name: shardName(i),
    chunks: nativeChunks(shardName(i), (file) => {
      const groups = new Set<string>(["/"]);
      for (const p of placed) {
        let at = "";
        for (const part of p.group.split("/").filter((x) => x !== "")) {
          at = `${at}/${part}`;
          if (groups.has(at)) continue;
          file.group(at);
          groups.add(at);
          if (at === p.group && p.name !== undefined) file.scalarString(at, "name", p.name, "utf8");
        }
        file.dataset(`${p.group}/${p.index}`, p.value);
      }
    }),
  }));
  // Python writes the total as a float (`42288.0`) with four-space indents.
  const index = JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 4).replace(
    /"total_size": (\d+)\n/,
    '"total_size": $1.0\n',
  );
  return { index, shards: out };
}

/** The shard files an index names, checked: plain sibling file names, at most MAX_SHARDS. */
export function shardFileNames(indexBytes: Uint8Array, indexName: string): string[] {
  const fail = (reason: string): never => {
    throw new H5Error("corrupt", cannot("read", indexName, reason), { path: indexName });
  };
  let parsed: unknown;
  try {
    parsed = parsePythonJson(utf8Decode(indexBytes));
  } catch (error) {
    return fail(`not a sharded-weights index (${error instanceof Error ? error.message : String(error)})`);
  }
  const map = (parsed as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== "object" || map === null || Array.isArray(map))
    return fail('expected an object with a "weight_map" object');
  const names: string[] = [];
  for (const [group, holders] of Object.entries(map)) {
    const list = typeof holders === "string" ? [holders] : holders;
    if (!Array.isArray(list) || list.length === 0)
      return fail(`weight_map["${group}"] must name one or more shard files`);
    for (const name of list) {
      if (
        typeof name !== "string" ||
        !/^[^/\\:\0]+$/.test(name) ||
        name === "." ||
        name === ".." ||
        !name.endsWith(".h5")
      ) {
        return fail(`weight_map["${group}"] names ${JSON.stringify(name)}, not a shard file beside the index`);
      }
      if (!names.includes(name)) {
        names.push(name);
        if (names.length > MAX_SHARDS) return fail(`it names more than ${MAX_SHARDS} shards`);
      }
    }
  }
  return names;
}

/**
 * Reads sharded weights: the index, then every shard it names (`readShard` fetches one by its
 * file name), merged into the saved object tree a single `.weights.h5` gives.
 */
export async function readKeras3WeightsShards(
  indexBytes: Uint8Array,
  readShard: (name: string) => Promise<Uint8Array | RandomAccessSource>,
  options: {
    readonly name: string;
    readonly backend?: H5ReadBackend;
    /** For shards given as sources: `eager` (default) loads every tensor, `lazy` gives PendingTensors. */
    readonly values?: "eager" | "lazy";
  },
): Promise<SavedModelData> {
  const merged = new Map<
    string,
    { name: string | undefined; values: Map<number, HostTensor>; from: Map<number, string> }
  >();
  for (const shard of shardFileNames(indexBytes, options.name)) {
    const input = await readShard(shard);
    const read = (file: H5ReadFile): Keras3PartialEntry[] => readKeras3PartialEntries(file);
    const entries: Keras3PartialEntry[] =
      input instanceof Uint8Array
        ? await withH5File(input, shard, read, options.backend ?? "auto")
        : await withH5Source(input, shard, read, options.backend ?? "auto", options.values ?? "eager");
    for (const entry of entries) {
      let into = merged.get(entry.path);
      if (into === undefined) {
        into = { name: entry.name, values: new Map(), from: new Map() };
        merged.set(entry.path, into);
      }
      into.name ??= entry.name;
      for (const [i, value] of entry.values) {
        const earlier = into.from.get(i);
        if (earlier !== undefined) {
          throw new H5Error(
            "corrupt",
            cannot("read", `${entry.path}/vars/${i} in ${shard}`, `${earlier} holds it too`),
            { path: shard },
          );
        }
        into.values.set(i, value);
        into.from.set(i, shard);
      }
    }
  }
  const entries = [...merged].map(([path, { name, values }]) => wholeEntry({ path, name, values }, options.name));
  // The order a single file's depth-first walk gives (names sorted at every level, `vars` among them).
  const key = (e: Keras3VarsEntry): string[] => [...e.path.split("/").filter((p) => p !== ""), "vars"];
  entries.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return x.length - y.length;
  });
  return { root: keras3EntriesToTree(entries) };
}
