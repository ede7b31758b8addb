import { cannot, dirnameOf, utf8Decode } from "@kerastore/core";
import { TfjsFormatError } from "./errors.js";
import type {
  ConvertSource,
  FormatLocation,
  ModelFormat,
  ModelReadResult,
  ModelReader,
  ModelWriter,
  ReadOptions,
  WriteOptions,
} from "kerastore";
import type { SavedModelData, Store } from "@kerastore/core";
import { type QuantizationDType, writeSettings } from "./options.js";
import { modelJsonPath, readTfjsLayers } from "./read-model.js";
import { type TfjsArtifacts, tfjsArtifacts, writeTfjsArtifacts } from "./write-model.js";

/**
 * Writes the artifacts into `dir` by a faster road than the store's own when it can (the Node
 * entry: a new directory on the local disk), resolving true; false leaves it to the store.
 */
export type DirectoryWriter = (
  store: Store,
  dir: string,
  artifacts: TfjsArtifacts,
  options: { readonly sync: boolean },
) => Promise<boolean>;

/** The directory a write goes to: the location, or the directory of a `.../model.json` path. */
function targetDir(path: string): string {
  return path === "model.json" || path.endsWith("/model.json") ? dirnameOf(path) : path;
}

/** True for the first bytes of a tfjs model.json (a layers model, not a graph model). */
function sniffModelJson(head: Uint8Array): boolean {
  const text = utf8Decode(head.subarray(0, 512)).trimStart();
  if (!text.startsWith("{")) return false;
  if (/"format"\s*:\s*"graph-model"/.test(text)) return false;
  return /"format"\s*:\s*"layers-model"/.test(text) || /^\{\s*"modelTopology"\s*:/.test(text);
}

/**
 * The TensorFlow.js Layers format: a directory holding `model.json` and the
 * `group1-shard<i>of<n>.bin` weight files, what `tensorflowjs_converter --input_format keras`
 * writes and `tf.loadLayersModel` reads.
 *
 * Write settings (`settings` of `saveModel`): `shardSizeBytes` (default 4 MiB),
 * `quantization`: `"float16"` | `"uint8"` | `"uint16"` or `{ uint8: ["conv2d*"], ... }` (patterns match weight names).
 */
export const tfjsLayersFormat: TfjsLayersFormat = tfjsFormatWith(async () => false);

/** The format's reader and writer, with `convertFrom`: a file-to-file conversion without a live model. */
export type TfjsLayersFormat = ModelReader &
  ModelWriter<TfjsWriteOptions> &
  Required<Pick<ModelWriter<TfjsWriteOptions>, "convertFrom">>;

/** The format writing directories through `writeDirectory` first (the Node entry's fast road). */
export function tfjsFormatWith(writeDirectory: DirectoryWriter): TfjsLayersFormat {
  const format: TfjsLayersFormat = {
    name: "tfjs",
    description: "TensorFlow.js Layers model (directory: model.json + group1-shard*of*.bin; tf.loadLayersModel)",
    // A path ending in `/model.json` names the directory's model.json (any other `.json` is the
    // architecture-only JSON format's); a directory is found by its content.
    extensions: ["/model.json"],
    holds: { architecture: true, weights: true, optimizer: false },
    sniff: sniffModelJson,
    async sniffLocation({ store, path }: FormatLocation) {
      if (!(await store.exists(path)) || !(await store.isDirectory(path))) return false;
      const json = await modelJsonPath(store, path);
      if (!(await store.exists(json))) return false;
      const size = await store.size(json);
      return sniffModelJson(await store.readRange(json, 0, Math.min(512, size)));
    },
    async read({ store, path }: FormatLocation, _options: ReadOptions): Promise<ModelReadResult> {
      const data = await readTfjsLayers(store, path);
      const { name, holds, description } = format;
      return { data, layout: "layer-list", holds, format: name, description };
    },
    // Keras 3's config (its build_config gives each layer's input rank) is turned into the Keras 2
    // dialect here. `computes: "graph"`: tfjs-layers rebuilds activations by name but with one fixed
    // definition (Keras 2's `hard_sigmoid`), and this writer refuses a layer whose definition is
    // another, so the file computes what the model computes, as a graph does. The facade then marks
    // a model that keeps Keras 2's definitions with a Keras 2 version (and warns of nothing).
    plan: () => ({ dialect: "keras3", computes: "graph", optimizer: false }),
    async write({ store, path }: FormatLocation, data, options: WriteOptions & TfjsWriteOptions) {
      await writeTree(store, path, data, options, writeDirectory);
    },
    // `kerastore convert` from a legacy .h5 model (tf.keras 2's or Keras 3's): the reader's tree
    // (values read lazily) straight to model.json and the shards, as tensorflowjs_converter passes
    // the .h5's config and weights through. Declined, for the live model: .keras archives (their
    // weights are positional, `layers/dense/vars/0`: only the layer classes' build order names
    // them), theano kernels (converted on load), Keras 1 files.
    async convertFrom(
      { store, path }: FormatLocation,
      source: ConvertSource,
      options: WriteOptions & TfjsWriteOptions,
    ) {
      // Only the legacy H5 reader's trees are taken: anything else declines before it is read.
      if (source.reader.name !== "h5") return false;
      const read = await source.read();
      const data = read.data;
      if (read.format !== "h5" || read.layout !== "layer-list" || !read.holds.architecture || !read.holds.weights)
        return false;
      if (data.modelConfig === undefined || data.backend === "theano") return false;
      // tf.keras 2's config is the dialect tfjs-layers reads; Keras 3's legacy .h5 holds Keras 3's
      // layer configs in Keras 2 envelopes, which tfjsArtifacts converts (the version says which).
      if (data.kerasVersion === undefined || !/^[23]\./.test(data.kerasVersion)) return false;
      await writeTree(store, path, data, options, writeDirectory);
      return true;
    },
  };
  return format;
}

async function writeTree(
  store: Store,
  path: string,
  data: SavedModelData,
  options: WriteOptions & TfjsWriteOptions,
  writeDirectory: DirectoryWriter,
): Promise<void> {
  const dir = targetDir(path);
  const where = `${store.description === "memory" ? "" : `${store.description}/`}${dir}`;
  const settings = writeSettings({ shardSizeBytes: options.shardSizeBytes, quantization: options.quantization }, dir);
  // Which hard_sigmoid the model computes, as the tree's Keras version says (Keras 2's for 1.x / 2.x).
  const keras2 = data.kerasVersion !== undefined && /^[12]\./.test(data.kerasVersion);
  const sync = options.sync ?? true;
  if (typeof sync !== "boolean")
    throw new TfjsFormatError(
      "bad-option",
      cannot("write", where, `sync must be true or false, got ${JSON.stringify(sync)}`),
    );
  const artifacts = tfjsArtifacts(data, settings, where, { keras3HardSigmoid: keras2 ? undefined : "all" });
  if (!(await writeDirectory(store, dir, artifacts, { sync }))) await writeTfjsArtifacts(store, dir, artifacts);
}

/** The writer's own options (`settings` of `saveModel`), as `tensorflowjs_converter`'s. */
export interface TfjsWriteOptions {
  /** Bytes per weight shard file (`--weight_shard_size_bytes`); default 4 MiB. */
  readonly shardSizeBytes?: number | undefined;
  /**
   * `--quantize_float16` / `--quantize_uint8` / `--quantize_uint16`: one dtype for every float32
   * weight, or per dtype the weight-name patterns it applies to (`*` wildcards).
   */
  readonly quantization?:
    | QuantizationDType
    | Partial<Record<QuantizationDType, readonly string[] | string>>
    | undefined;
  /**
   * `false` (`--no-sync`): a new directory on the local disk (the Node entry) is committed
   * without flushing its files to disk, as `tensorflowjs_converter` writes; it still appears
   * whole under its final name by one rename, but may not survive a power loss. Default `true`.
   * Other stores, and an existing directory updated in place, write as their store does.
   */
  readonly sync?: boolean | undefined;
}

/** What the Kerastore CLI and `createFormatRegistry` take from a plug-in package. */
export const kerastoreFormats: readonly ModelFormat[] = [tfjsLayersFormat];
