import { type HostTensor, type SavedNode, type Store, cannot, pendingTensor, stringTensor } from "@kerastore/core";
import {
  type ReadTensorOptions,
  type TensorBundle,
  openBundle,
  readBundleTensor,
  readBundleTensors,
} from "./bundle-read.js";
import { writeBundle } from "./bundle-write.js";
import { CheckpointError } from "./errors.js";
import { indexFileName } from "./file-names.js";
import type { TrackableObjectGraph } from "./gen/trackable_object_graph_pb.js";
import { OBJECT_GRAPH_KEY } from "./keys.js";
import { decodeObjectGraph, graphToTree } from "./object-graph-read.js";
import { treeToGraph } from "./object-graph-write.js";

/** Reads the object graph of an opened bundle. */
export async function readObjectGraph(
  bundle: TensorBundle,
  options: ReadTensorOptions = {},
): Promise<TrackableObjectGraph> {
  if (!bundle.entries.has(OBJECT_GRAPH_KEY)) {
    throw new CheckpointError(
      "unsupported",
      cannot(
        "read",
        `checkpoint ${bundle.prefix}`,
        `it has no ${OBJECT_GRAPH_KEY} (a name-based TF1 checkpoint)`,
        "read its tensors with loadCheckpoint",
      ),
      { path: indexFileName(bundle.prefix) },
    );
  }
  const tensor = await readBundleTensor(bundle, OBJECT_GRAPH_KEY, options);
  if (tensor.dtype !== "string" || tensor.data.length !== 1) {
    throw new CheckpointError(
      "corrupt",
      cannot("read", `${OBJECT_GRAPH_KEY} of ${bundle.prefix}`, "it is not one string"),
      {
        path: indexFileName(bundle.prefix),
      },
    );
  }
  return decodeObjectGraph(tensor.data[0]!, bundle.prefix);
}

/**
 * Reads an object-based checkpoint (`tf.train.Checkpoint`, Keras `save_weights`) into the saved
 * object tree: edges named by `local_name`, variables from `VARIABLE_VALUE` attributes, slots
 * from `slot_variables`. Every value is read and CRC-checked.
 */
export async function readCheckpoint(
  store: Store,
  prefix: string,
  options: ReadCheckpointOptions = {},
): Promise<SavedNode> {
  const bundle = await openBundle(store, prefix);
  const graph = await readObjectGraph(bundle, options);
  const keys = new Set<string>();
  for (const node of graph.nodes) {
    for (const attr of node.attributes) {
      if (!bundle.entries.has(attr.checkpointKey)) {
        throw new CheckpointError(
          "corrupt",
          cannot(
            "read",
            `checkpoint ${prefix}`,
            `the object graph names "${attr.checkpointKey}", which it does not hold`,
          ),
          { path: indexFileName(prefix) },
        );
      }
      keys.add(attr.checkpointKey);
    }
  }
  const values = new Map<string, HostTensor>();
  if (options.values === "lazy") {
    // The `.index` says each tensor's dtype, shape and place: the values stay in the shards
    // until loaded, each by one range read (CRC-checked then).
    const eager: string[] = [];
    for (const key of keys) {
      const entry = bundle.entries.get(key)!;
      if (entry.dtype === undefined || entry.dtype === "string" || entry.sliced) {
        eager.push(key);
        continue;
      }
      const where = `"${key}" in checkpoint ${prefix}`;
      values.set(
        key,
        pendingTensor(entry.dtype, entry.shape, entry.size, where, () => readBundleTensor(bundle, key, options)),
      );
    }
    for await (const [key, tensor] of readBundleTensors(bundle, eager, options)) values.set(key, tensor);
  } else {
    // In file order (shard, then offset): one sequential pass over each shard, not the object
    // graph's order, which jumps about the bundle's sorted keys (layer 0, 1, 2 against 0, 1, 10).
    const inFileOrder = [...keys].sort((a, b) => {
      const x = bundle.entries.get(a)!;
      const y = bundle.entries.get(b)!;
      return x.shardId - y.shardId || x.offset - y.offset;
    });
    for await (const [key, tensor] of readBundleTensors(bundle, inFileOrder, options)) values.set(key, tensor);
  }
  return graphToTree(graph, (key) => values.get(key)!);
}

/** Options of {@link readCheckpoint}. */
export interface ReadCheckpointOptions extends ReadTensorOptions {
  /**
   * `eager` (default) reads every value; `lazy` reads the `.index` and the object graph only and
   * gives PendingTensors (see `loadTreeValues` in `@kerastore/core`), read by range when loaded.
   */
  readonly values?: "eager" | "lazy";
}

/**
 * Writes a saved object tree as an object-based checkpoint at `prefix` (`.data-00000-of-00001`,
 * then `.index`), as `tf.train.Checkpoint.write(prefix)` does; Python's
 * `tf.train.Checkpoint(...).restore(prefix)` reads it.
 */
export async function writeCheckpoint(store: Store, prefix: string, root: SavedNode): Promise<void> {
  const { graph, tensors } = treeToGraph(root);
  await writeBundle(store, prefix, [...tensors, [OBJECT_GRAPH_KEY, stringTensor([], [graph])]]);
}
