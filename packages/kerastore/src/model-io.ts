import { type JsonObject, type SavedModelData, type Store, cannot, isJsonObject, writeFileSet } from "@kerastore/core";
import { readModelJson, writeModelConfig } from "@kerastore/config";
import type { Registry } from "@kerastore/registry";
import {
  type CustomObjects,
  Model,
  type WeightBudget,
  compileFromSaved,
  deserializeLayer,
  initBackend,
  initializeUnloaded,
  kerasMajor,
  refuseKeras1Version,
  scopedObjects,
  toSavedModelData,
  withWeightBudget,
} from "@kerastore/engine";
import type { RestoreStatus } from "@kerastore/checkpoint";
import { type ApplyWeightsOptions, applyWeights } from "./apply-weights.js";
import type { CheckpointOptimizer } from "./checkpoint/live-binding.js";
import { restoreModelCheckpoint, writeModelCheckpoint } from "./checkpoint/model-checkpoint.js";
import { shardedWeightsFormat } from "./formats/sharded-weights-format.js";
import { checkpointFormat, checkpointPrefix } from "./formats/checkpoint-format.js";
import { FacadeError } from "./errors.js";
import type { FormatLocation, ModelFormat } from "./formats/format.js";
import type { FormatRegistry } from "./formats/format-registry.js";
import { defaultFormatRegistry } from "./formats/builtin-formats.js";
import { h5LayoutOf, legacyH5Format } from "./formats/h5-formats.js";
import { layersWithOtherDefinitions } from "./activation-definitions.js";
import { keras2WeightNames, withVariablePaths } from "./keras2-names.js";
import { withPortableLossNames } from "./loss-names.js";
import { savedModelFormat } from "./formats/savedmodel-format.js";
import { tfliteFormat } from "./formats/tflite-format.js";
import { type Target, describeLocation, locate, locateForRead } from "./location.js";
import { optimizerNodeFor, restoreOptimizer, trainingConfigFor } from "./optimizer-state.js";
import { withTensorflowKernels } from "./theano-kernels.js";
import { fileWeightSizes, refuseUnsafeConfig } from "./load-guards.js";

/** Options shared by every load and save. */
export interface IoOptions {
  /** The format by name (`h5`, `keras`, `weights-h5`, `json`, ...); default: by content, then extension. */
  readonly format?: string | undefined;
  /** The formats to choose from; default: the built-in ones. */
  readonly formats?: FormatRegistry | undefined;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions extends IoOptions {
  /** Classes and functions the config names that Keras does not ship (custom layers, activations). */
  readonly customObjects?: CustomObjects | undefined;
  /** Restore the compile information the file holds. Default true. */
  readonly compile?: boolean | undefined;
  /** Refuse configs that would run code (`__lambda__`, tf.keras 2 Lambda bytecode), in every format. Default true. */
  readonly safeMode?: boolean | undefined;
  /**
   * The most memory (bytes) the model's weights may take while its config is rebuilt; every
   * size the config declares is checked against it, and against the weights the file holds,
   * before anything is allocated. Default 2 GiB for a file with weights (`DEFAULT_WEIGHT_BUDGET_BYTES`),
   * 64 MiB for a config alone such as `.json` (`DEFAULT_CONFIG_BUDGET_BYTES`).
   */
  readonly weightBudget?: Pick<WeightBudget, "maxBytes"> | undefined;
  /** The model classes to build (the facade passes its own, which can save themselves). */
  readonly modelClasses?: CustomObjects | undefined;
  /**
   * Where classes registered with `registerSerializable` are looked up after `customObjects`.
   * Default: `defaultRegistry`.
   */
  readonly registry?: Registry | undefined;
  /** Told when compile information or optimizer state cannot be restored (Keras warns too). Default console.warn. */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions extends IoOptions {
  /** Told when a reader of the saved file would compute the model differently (see warnOfChangedDefinitions). Default console.warn. */
  readonly onWarning?: ((message: string) => void) | undefined;
  /** Save the optimizer's state with the model. Default true. */
  readonly includeOptimizer?: boolean | undefined;
  /** Format-specific settings, e.g. `{ dialect: "keras3" }` for `.h5`. */
  readonly settings?: JsonObject | undefined;
}

/** Options of {@link saveWeights}. */
export interface SaveWeightsOptions extends SaveModelOptions {
  /** TF checkpoints: the optimizer whose state to save (default the model's own, if any). */
  readonly optimizer?: CheckpointOptimizer | undefined;
  /**
   * Shard Keras 3 weights into files of at most this many GB (Keras's `max_shard_size`): the
   * path names the `.weights.json` index (a `.weights.h5` path becomes `.weights.json`, as in Keras).
   */
  readonly maxShardSize?: number | undefined;
}

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions extends IoOptions, ApplyWeightsOptions {
  /** TF checkpoints: the optimizer to restore too (default the model's own, if any). */
  readonly optimizer?: CheckpointOptimizer | undefined;
  /**
   * TF checkpoints: the edge from the checkpoint's root to the model, for a checkpoint of a
   * `tf.train.Checkpoint(model=m)` (`"model"`). Default: the model is the root (`save_weights`).
   */
  readonly checkpointRoot?: string | undefined;
}

/** What {@link loadWeights} did. */
export interface LoadWeightsResult {
  /** The format the weights were read in. */
  readonly format: string;
  /** How many variables were set. */
  readonly loaded: number;
  /** TF checkpoints: what matched, with `assertConsumed()`, `expectPartial()`, ... as in TensorFlow. */
  readonly status?: RestoreStatus | undefined;
}

function defaultWarn(message: string): void {
  console.warn(`kerastore: ${message}`);
}

function registryOf(options: IoOptions): FormatRegistry {
  return options.formats ?? defaultFormatRegistry();
}

/** The format of an existing file: as asked, else detected. H5 files are told apart by content. */
async function formatToRead(location: FormatLocation, options: IoOptions): Promise<ModelFormat> {
  const registry = registryOf(options);
  const format = options.format !== undefined ? registry.get(options.format) : await registry.detect(location);
  if (options.format === undefined && (format.name === "h5" || format.name === "weights-h5")) return h5LayoutOf(location);
  return format;
}

async function readWith(format: ModelFormat, location: FormatLocation, safeMode: boolean | undefined): Promise<SavedModelData> {
  if (format.read === undefined) {
    throw new FacadeError("format-cannot-read", cannot("load", describeLocation(location), `the ${format.name} format can only be written`));
  }
  return format.read(location, { safeMode });
}

/**
 * Loads a whole model: architecture, weights and, when asked, compile information.
 *
 * The format is found from the file's content (magic bytes, directory layout), then its
 * extension; an HDF5 file named `.keras` (what older Keras wrote) loads as H5.
 */
export async function loadModel(target: Target, options: LoadModelOptions = {}): Promise<Model> {
  await initBackend();
  const location = await locateForRead(target);
  const where = describeLocation(location);
  const format = await formatToRead(location, options);
  if (!format.holds.architecture) {
    throw new FacadeError(
      "format-cannot-read",
      cannot("load a model from", where, `a ${format.name} file holds only weights`, "build the model in code and call model.loadWeights()"),
      { path: where },
    );
  }
  const warn = options.onWarning ?? defaultWarn;
  const data = await readWith(format, location, options.safeMode);
  if (data.modelConfig === undefined) {
    throw new FacadeError("format-cannot-read", cannot("load a model from", where, "it holds no model config"), { path: where });
  }
  // The customObjectScopes open around this (async) load count for the losses and metrics too.
  const customObjects = { ...options.modelClasses, ...scopedObjects(), ...options.customObjects };
  refuseKeras1Version(data.kerasVersion, where);
  if (options.safeMode !== false) refuseUnsafeConfig(data.modelConfig, where, customObjects);
  const budget: WeightBudget = { maxBytes: options.weightBudget?.maxBytes, fileWeights: format.holds.weights ? fileWeightSizes(data.root) : undefined, where };
  const built = withWeightBudget(budget, () =>
    deserializeLayer(data.modelConfig, { customObjects, registry: options.registry, kerasVersion: kerasMajor(data.kerasVersion) }),
  );
  if (!(built instanceof Model)) {
    built.dispose();
    throw new FacadeError("format-cannot-read", cannot("load a model from", where, `its config describes a ${built.className} layer, not a model`));
  }
  try {
    if (format.holds.weights) applyWeights(built, withTensorflowKernels(data), format.layout, where);
    // The load built its weights as zeros: run the initializers of any the file left out.
    initializeUnloaded(built);
  } catch (error) {
    // A model refused halfway frees what it allocated: nothing of it reaches the caller.
    built.dispose();
    throw error;
  }
  if (options.compile !== false && data.trainingConfig !== undefined && Object.keys(data.trainingConfig).length > 0) {
    // As load_model(compile=True): compiled from the file's config (a Keras 2 training_config
    // is converted), so compileConfig is Keras 3's.
    const compiled = compileFromSaved(built, data.trainingConfig, { customObjects, registry: options.registry, onWarning: warn });
    if (compiled && format.holds.optimizer) restoreOptimizer(built, data.root, format.layout, where, warn);
  }
  return built;
}

/**
 * Saves a whole model. The format is `options.format`, else the path's extension (`.keras`,
 * `.h5`, `.hdf5`, `.json`).
 */
export async function saveModel(model: Model, target: Target, options: SaveModelOptions = {}): Promise<void> {
  const location = locate(target);
  const registry = registryOf(options);
  // As the guide's model.save("my_model"): a path without a known extension is a SavedModel directory.
  const format = options.format !== undefined ? registry.get(options.format) : (registry.byExtension(location.path) ?? savedModelFormat);
  if (format.write === undefined) throw new FacadeError("format-cannot-write", cannot("save", describeLocation(location), `the ${format.name} format can only be read`));
  const includeOptimizer = options.includeOptimizer !== false;
  warnOfChangedDefinitions(model, format, options);
  const data = savedDataFor(model, format, options.settings, includeOptimizer);
  const write = (store: Store) => format.write!({ store, path: location.path }, data, { includeOptimizer, settings: options.settings, liveModel: model });
  // A SavedModel is a directory of files: they change as one set (single files are atomic already).
  if (format.name === savedModelFormat.name) await writeFileSet(location.store, location.path, write);
  else await write(location.store);
}

/**
 * A file names activations; its reader computes each as its own Keras defines it, and Keras 3
 * changed `hard_sigmoid`. A model read from a Keras 2 file computes Keras 2's, one built here
 * Keras 3's. Keras 3 reads every format with its own definition, tf.keras 2 a Keras 2 dialect
 * `.h5` with Keras 2's (Kerastore follows the file's keras_version, see savedDataFor): warn of
 * each reader that would compute something else.
 */
function warnOfChangedDefinitions(model: Model, format: ModelFormat, options: SaveModelOptions): void {
  // A .tflite holds the computation itself (Keras 2's hard_sigmoid lowered as such), no names.
  if (!format.holds.architecture || format.name === tfliteFormat.name) return;
  const keras2File = format.name === legacyH5Format.name && options.settings?.dialect !== "keras3";
  const warn = options.onWarning ?? defaultWarn;
  const formula = "(hard_sigmoid: Keras 2 clip(0.2x + 0.5, 0, 1), Keras 3 relu6(x + 3) / 6)";
  const keras2Defined = layersWithOtherDefinitions(model, 3);
  // A SavedModel is run as its graph (TensorFlow, Keras 3's TFSMLayer), which keeps the model's definitions.
  if (keras2Defined.length > 0 && format.name !== savedModelFormat.name) {
    const keep = keras2File ? "tf.keras 2 and Kerastore keep it" : "save as .h5 (Keras 2 dialect, the default) for tf.keras 2 and Kerastore to keep it";
    warn(`${keras2Defined.join(", ")}: Keras 3 computes this activation by its own definition ${formula}, so it will predict differently from this ${format.name} file; ${keep}`);
  }
  const keras3Defined = keras2File ? layersWithOtherDefinitions(model, 2) : [];
  if (keras3Defined.length > 0) {
    warn(`${keras3Defined.join(", ")}: tf.keras 2 computes this activation by its own definition ${formula}, so it will predict differently from this Keras 2 dialect .h5 (Keras 3 and Kerastore keep it; save as .keras for Keras 3 only)`);
  }
}

/**
 * The model as plain data for a format, with its compile information and optimizer state in
 * the format's own layout. Legacy H5 defaults to the Keras 2 dialect (what both tf.keras 2.x
 * and Keras 3 load), so its config is converted.
 */
function savedDataFor(model: Model, format: ModelFormat, settings: JsonObject | undefined, includeOptimizer: boolean): SavedModelData {
  const legacy = format.name === legacyH5Format.name;
  const dialect = !legacy ? "keras3" : settings?.dialect === "keras3" ? "h5-keras3" : "h5-keras2";
  const optimizer = includeOptimizer && format.holds.optimizer ? optimizerNodeFor(model, dialect) : undefined;
  const saved = toSavedModelData(model, { optimizer });
  // The Keras 3 dialect as Keras 3's from_config takes it: no Keras 2 leftovers (time_major, a
  // first layer's batch_shape, ...) from a model read from a Keras 2 file.
  const data = dialect === "h5-keras2" || saved.modelConfig === undefined ? saved : { ...saved, modelConfig: writeModelConfig(readModelJson(saved.modelConfig).model, { dialect: "keras3" }) };
  // A SavedModel's graph computes Keras 2's hard_sigmoid for a model read from a Keras 2 file;
  // its keras_metadata says so (keras_version), as a Keras 2 dialect .h5 does.
  if (format.name === savedModelFormat.name && layersWithOtherDefinitions(model, 3).length > 0) return { ...data, kerasVersion: "2.15.0" };
  if (!legacy) return data;
  const trainingConfig = withPortableLossNames(trainingConfigFor(model, dialect === "h5-keras3" ? "h5-keras3" : "h5-keras2") ?? keptTrainingConfig(model));
  if (dialect === "h5-keras2" && data.modelConfig !== undefined) {
    const keras2 = writeModelConfig(readModelJson(data.modelConfig).model, { dialect: "keras2" });
    // The version tells Kerastore's reader which definitions of the activations Keras 3 changed
    // the model computes: tf.keras 2.15's when it keeps Keras 2's (it was read from a Keras 2 file).
    const keras2Defined = layersWithOtherDefinitions(model, 3).length > 0;
    // tf.keras 2's weight names, unique as it made them (`lstm_1/lstm_cell_1/kernel:0`).
    const root = withVariablePaths(data.root, keras2WeightNames(model));
    return { ...data, root, modelConfig: keras2, trainingConfig, ...(keras2Defined ? { kerasVersion: "2.15.0" } : {}) };
  }
  return { ...data, trainingConfig };
}

/** An uncompiled model's kept Keras 3 compile_config as a training_config (`optimizer_config`). */
function keptTrainingConfig(model: Model): JsonObject | undefined {
  const { optimizer, ...rest } = model.compileConfig;
  if (optimizer === undefined) return undefined;
  const envelope = isJsonObject(optimizer) ? { class_name: optimizer.class_name ?? null, config: optimizer.config ?? null } : optimizer;
  return { ...rest, optimizer_config: envelope };
}

/**
 * Saves only the weights: `.weights.h5` writes Keras 3's weights file, `.h5` / `.hdf5` the
 * Keras 2 weights-only H5, any other path a TF checkpoint (`prefix.index` + data) named as
 * tf.keras 2 names it, with the `checkpoint` state file beside it.
 */
export async function saveWeights(model: Model, target: Target, options: SaveWeightsOptions = {}): Promise<void> {
  const location = locate(target);
  const registry = registryOf(options);
  if (options.maxShardSize !== undefined) return saveShardedWeights(model, location, options);
  // As tf.keras 2: a path without a weights extension means a TF checkpoint prefix.
  const format = options.format !== undefined ? registry.get(options.format) : (registry.byExtension(location.path) ?? checkpointFormat);
  if (format.name === checkpointFormat.name) {
    const skipOptimizer = options.includeOptimizer === false;
    const prefix = checkpointPrefix(location.path);
    // The .index, the .data and the `checkpoint` state file change as one set.
    await writeFileSet(location.store, prefix, (store) => writeModelCheckpoint(model, store, prefix, { optimizer: options.optimizer, skipOptimizer }));
    return;
  }
  if (!format.holds.weights || format.write === undefined) {
    throw new FacadeError("unsupported", cannot("save weights to", describeLocation(location), `the ${format.name} format cannot hold weights`, "use a path ending .weights.h5 or .h5, or a checkpoint prefix"));
  }
  const weightsOnly = format.name === legacyH5Format.name;
  const settings: JsonObject = weightsOnly ? { ...options.settings, weightsOnly: true } : { ...options.settings };
  // As Keras 3's save_weights: a .weights.h5 carries the optimizer's variables; a Keras 2 weights-only .h5 cannot.
  const includeOptimizer = !weightsOnly && options.includeOptimizer !== false;
  await format.write(location, savedDataFor(model, format, settings, includeOptimizer), { includeOptimizer, settings });
}

/** `saveWeights` with `maxShardSize`: Keras 3 sharded weights, as `save_weights(max_shard_size=...)`. */
async function saveShardedWeights(model: Model, location: FormatLocation, options: SaveWeightsOptions): Promise<void> {
  const path = location.path.endsWith(".weights.h5") ? `${location.path.slice(0, -".h5".length)}.json` : location.path;
  if (!path.endsWith(".weights.json")) {
    throw new FacadeError("unsupported", cannot("save sharded weights to", describeLocation(location), "the index must end in .weights.json", "name it like model.weights.json"));
  }
  const settings: JsonObject = { ...options.settings, maxShardSize: options.maxShardSize ?? null };
  const includeOptimizer = options.includeOptimizer !== false;
  const data = savedDataFor(model, shardedWeightsFormat, settings, includeOptimizer);
  // The index and its shards change as one set: an old index never names new shards.
  await writeFileSet(location.store, path, (store) => shardedWeightsFormat.write!({ store, path }, data, { includeOptimizer, settings }));
}

/**
 * Loads weights into a built model: by topology (default) or by layer name for H5, by place
 * for Keras 3 weights files, by object-graph matching for TF checkpoints (the result's
 * `status` then has `assertConsumed()` and friends). Full-model files are accepted too.
 */
export async function loadWeights(model: Model, target: Target, options: LoadWeightsOptions = {}): Promise<LoadWeightsResult> {
  await initBackend();
  const location = await locateForRead(target);
  const where = describeLocation(location);
  const format = await formatToRead(location, options);
  if (!format.holds.weights) {
    throw new FacadeError("format-cannot-read", cannot("load weights from", where, `a ${format.name} file holds no weights`));
  }
  if (format.name === checkpointFormat.name) {
    if (options.byName === true) {
      throw new FacadeError("unsupported", cannot("load", `weights from ${where} by name`, "a TF checkpoint pairs objects by their place in the object graph"));
    }
    const prefix = checkpointPrefix(location.path);
    const { status, loaded } = await restoreModelCheckpoint(model, location.store, prefix, { optimizer: options.optimizer, under: options.checkpointRoot });
    // As tf.keras 2's load_weights: a checkpoint that matches nothing is an error.
    status.assertNontrivialMatch();
    return { format: format.name, loaded, status };
  }
  const data = withTensorflowKernels(await readWith(format, location, true));
  const loaded = applyWeights(model, data, format.layout, where, options);
  // As Keras 3's load_weights: a compiled model takes the optimizer state a .weights.h5 holds.
  if (format.layout === "walk-path") restoreOptimizer(model, data.root, format.layout, where, options.onWarning ?? defaultWarn);
  return { format: format.name, loaded };
}
