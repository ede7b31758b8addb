import type { SavedModelData, Store, WeightLayout } from "@kerastore/core";

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

/** How a read tree's variables pair with a live model's; owned by `@kerastore/core` (open to more). */
export type { WeightLayout } from "@kerastore/core";

/** Options every reader gets; the facade always passes each one. */
export interface ReadOptions {
  /**
   * Refuse configs that would run code when the model is rebuilt (`__lambda__` and the like).
   * Readers of formats that cannot hold such configs ignore it.
   */
  readonly safeMode: boolean;
  /** Told of problems a reader worked around (and kept reading). */
  readonly onWarning: (message: string) => void;
  /**
   * `eager` (default) reads every weight; `lazy` reads metadata only and gives PendingTensors
   * (`@kerastore/core`), each read by range when loaded (inspect, partial loads). Readers of
   * formats that cannot read by range ignore it and read eagerly.
   */
  readonly values?: "eager" | "lazy" | undefined;
  /**
   * `false`: the reader may leave the optimizer's state out of the tree (a conversion to a
   * format that holds none reads less). Default true.
   */
  readonly optimizer?: boolean | undefined;
}

/** What a reader read: the saved object tree, and what kind of file it proved to be. */
export interface ModelReadResult {
  /** The saved object tree (docs/saved-tree.md). */
  readonly data: SavedModelData;
  /** How the tree's variables pair with a live model's. */
  readonly layout: WeightLayout;
  /** What this file holds: less than the format can, for a weights-only file of a model format. */
  readonly holds: FormatHolds;
  /**
   * The name of the format the file proved to be: the reader's own, or a sibling's when one
   * reader reads several layouts of one container (the `h5` reader gives `weights-h5` for a
   * Keras 3 weights file).
   */
  readonly format: string;
  /** One line saying what the file is, for `inspect` and error messages. */
  readonly description: string;
}

/**
 * A format Kerastore can load from: maps its files to the saved object tree.
 *
 * A reader knows nothing of live models. It is found by name (`{ format }`), by content
 * (`sniff` on a file's first bytes, `sniffLocation` for a directory or a prefix), then by
 * extension: give `sniff`, `sniffLocation` or both; a reader with neither is found by name and
 * extension only.
 */
export interface ModelReader {
  /** The short name used by `{ format }`, `--to` and `inspect` (`h5`, `keras`, `checkpoint`). */
  readonly name: string;
  /** One line for `inspect` and error messages. */
  readonly description: string;
  /** File-name endings it claims, with the dot (`.weights.h5`); the longest match wins. */
  readonly extensions: readonly string[];
  /** What its files can hold. */
  readonly holds: FormatHolds;
  /** True when a file's first bytes (up to 512) are this format's. */
  sniff?(head: Uint8Array): boolean;
  /** True when `location` (a directory or a prefix) is this format's. */
  sniffLocation?(location: FormatLocation): Promise<boolean>;
  /** Reads the file once into the saved object tree, saying its layout. */
  read(location: FormatLocation, options: ReadOptions): Promise<ModelReadResult>;
}

/** Options every writer gets, whatever the format; the facade always passes each one. */
export interface WriteOptions {
  /** Include the optimizer's variables (when the format can hold them). */
  readonly includeOptimizer: boolean;
  /** Write the weights alone (`saveWeights`): a format that can hold an architecture leaves it out. */
  readonly weightsOnly: boolean;
  /**
   * The live model being saved, when there is one (a `Model` of `@kerastore/engine`). Writers
   * that lower the computation (TFLite) or bind live objects (TF checkpoints) use it rather than
   * rebuilding the model from the tree.
   */
  readonly liveModel: unknown;
  /** Told when the file will not say all the model holds. */
  readonly onWarning: (message: string) => void;
}

/**
 * The form of the saved tree a writer wants, which the facade builds before calling `write`:
 * - `dialect`: `keras3` (Keras 3's config, optimizer variable list and walk paths), or the
 *   legacy H5 forms `h5-keras2` (tf.keras 2's config, `training_config`, weight names) and
 *   `h5-keras3` (what Keras 3's own legacy H5 writer gives);
 * - `computes`: how the file's readers compute activations whose definition Keras 3 changed:
 *   `by-name` (each reader rebuilds them by its own Keras's definition) or `graph` (the file
 *   holds the computation itself: SavedModel, TFLite);
 * - `optimizer`: whether the file will hold the optimizer's state.
 */
export interface WritePlan {
  readonly dialect: "keras3" | "h5-keras2" | "h5-keras3";
  readonly computes: "by-name" | "graph";
  readonly optimizer: boolean;
}

/**
 * A format Kerastore can save to: writes the saved object tree.
 *
 * `Options` are the format's own typed options (a legacy H5 writer's `dialect`, a TFLite
 * writer's `quantize`), given as `settings` of `save` and merged into {@link WriteOptions};
 * every member of them is optional, and a writer checks the values it is given.
 */
export interface ModelWriter<Options extends object = object> {
  /** The short name used by `{ format }` and `--to`. */
  readonly name: string;
  /** One line for `--help` and error messages. */
  readonly description: string;
  /** File-name endings it claims, with the dot; the longest match wins. */
  readonly extensions: readonly string[];
  /** What its files can hold. */
  readonly holds: FormatHolds;
  /** The form of the tree this writer wants for these options. */
  plan(options: WriteOptions & Options): WritePlan;
  /**
   * Writes the saved object tree, atomically: a file of several parts (a SavedModel directory,
   * a checkpoint's index and data, sharded weights) changes as one set.
   */
  write(location: FormatLocation, data: SavedModelData, options: WriteOptions & Options): Promise<void>;
  /**
   * Optional: a file-to-file conversion (`kerastore convert`) with no live model. `source` names
   * the reader the source file was detected as, and reads it once on demand with `values: "lazy"`
   * (PendingTensors, read by range as they are written), so a writer can decline by the reader's
   * name before anything is read. Resolves false, having written nothing, when this source needs
   * the live model: the caller then loads the model and calls `write`. `options.liveModel` is undefined.
   */
  convertFrom?(location: FormatLocation, source: ConvertSource, options: WriteOptions & Options): Promise<boolean>;
}

/** The source of a file-to-file conversion (`ModelWriter.convertFrom`). */
export interface ConvertSource {
  /** The reader the source was detected as (by content, then extension). */
  readonly reader: ModelReader;
  readonly location: FormatLocation;
  /**
   * Reads the source with `values: "lazy"` and safe mode on, without the optimizer's state when
   * the writer holds none (once; later calls give the same read).
   */
  read(): Promise<ModelReadResult>;
}

/** A format: a reader, a writer, or both (what a plug-in's `kerastoreFormats` lists). */
export type ModelFormat = ModelReader | ModelWriter;

/** True when `format` can read. */
export function isModelReader(format: ModelFormat): format is ModelReader {
  return typeof (format as Partial<ModelReader>).read === "function";
}

/** True when `format` can write. */
export function isModelWriter(format: ModelFormat): format is ModelWriter {
  const writer = format as Partial<ModelWriter>;
  return typeof writer.write === "function" && typeof writer.plan === "function";
}
