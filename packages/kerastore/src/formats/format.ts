import type { JsonObject, SavedModelData, Store } from "@kerastore/core";

/** A file or directory a format reads or writes: a path inside a store. */
export interface FormatLocation {
  readonly store: Store;
  /** The file, directory or checkpoint prefix, relative to the store's root. */
  readonly path: string;
}

/** What a format's file can hold. */
export interface FormatHolds {
  readonly architecture: boolean;
  readonly weights: boolean;
  readonly optimizer: boolean;
}

/**
 * How the variables of a tree a format reads pair with a live model's:
 * - `layer-list`: the model node's layer edges in file order, each with its layer's whole
 *   weight list (Keras 2 H5): by topology, or by layer name on request;
 * - `walk-path`: Keras 3 walk paths (`layers/dense_1/vars/0`), derived from class names;
 * - `object-graph`: TF checkpoint object-graph edges (`layer_with_weights-0/kernel`).
 */
export type WeightLayout = "layer-list" | "walk-path" | "object-graph";

/** Options every format reader takes. */
export interface FormatReadOptions {
  /** Keep reading past problems a format can work around, reporting them here. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /**
   * Refuse configs that would run code when the model is rebuilt (`__lambda__` and the like).
   * Default true; formats that cannot hold such configs ignore it.
   */
  readonly safeMode?: boolean | undefined;
  /**
   * `eager` (default) reads every weight; `lazy` reads metadata only and gives PendingTensors
   * (`@kerastore/core`), each read by range when loaded (inspect, partial loads). Formats that
   * cannot read by range ignore it and read eagerly.
   */
  readonly values?: "eager" | "lazy" | undefined;
}

/** Options every format writer takes. */
export interface FormatWriteOptions {
  /** Include the optimizer's variables when the format can hold them. */
  readonly includeOptimizer?: boolean | undefined;
  /** Format-specific settings (for example `{ dialect: "keras3" }` for legacy H5). */
  readonly settings?: JsonObject | undefined;
  /**
   * The live model being saved, when there is one. Formats that lower the model's computation
   * (TFLite) use it rather than rebuilding the model from the tree.
   */
  readonly liveModel?: unknown;
}

/**
 * A file format the facade can load from and save to, over plain data.
 *
 * A format knows nothing of live models: it maps its files to and from the saved object tree
 * (`SavedModelData`, see docs/saved-tree.md). Third parties implement this interface and add
 * their format to a registry (`createFormatRegistry`); `loadModel`, `saveModel` and the CLI then
 * treat it like the built-in ones.
 */
export interface ModelFormat {
  /** The short name used by `{ format }` and `--to` (`h5`, `keras`, `checkpoint`). */
  readonly name: string;
  /** One line for `inspect` and error messages. */
  readonly description: string;
  /** File-name endings it claims, with the dot (`.weights.h5`); the longest match wins. */
  readonly extensions: readonly string[];
  /** What its files hold. */
  readonly holds: FormatHolds;
  /** How the variables of the trees it reads pair with a live model's. */
  readonly layout: WeightLayout;
  /** True when a file's first bytes (up to 512) are this format's. */
  sniff?(head: Uint8Array): boolean;
  /** True when `location` (a directory or a prefix) is this format's. */
  sniffLocation?(location: FormatLocation): Promise<boolean>;
  /** Reads the file into the saved object tree. */
  read?(location: FormatLocation, options: FormatReadOptions): Promise<SavedModelData>;
  /** Writes the saved object tree, atomically. */
  write?(location: FormatLocation, data: SavedModelData, options: FormatWriteOptions): Promise<void>;
}
