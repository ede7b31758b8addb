import type { RestoreStatus } from "@kerastore/checkpoint";
import { readModelJson, writeModelConfig } from "@kerastore/config";
import { cannot, isJsonObject, type JsonObject, type SavedModelData } from "@kerastore/core";
import {
  type CustomObjects,
  compileFromSaved,
  initBackend,
  initializeUnloaded,
  kerasMajor,
  layersWithOtherDefinitions,
  type Model,
  modelFromJson,
  refuseKeras1Version,
  scopedObjects,
  toSavedModelData,
  type WeightBudget,
  withWeightBudget,
} from "@kerastore/engine";
import type { Registry } from "@kerastore/registry";
import { type ApplyWeightsOptions, applyWeights } from "./apply-weights.js";
import type { CheckpointOptimizer } from "./checkpoint/live-binding.js";
import { FacadeError } from "./errors.js";
import { defaultFormatRegistry } from "./formats/builtin-formats.js";
import { readsWeightsIntoModel } from "./formats/capabilities.js";
import type { CheckpointWriteOptions } from "./formats/checkpoint-format.js";
import type { FormatLocation, ModelReader, ModelWriter, WriteOptions, WritePlan } from "./formats/format.js";
import type { FormatRegistry } from "./formats/format-registry.js";
import type { H5WriteOptions } from "./formats/h5-formats.js";
import type { KerasWriteOptions } from "./formats/keras-format.js";
import type { ShardedWeightsWriteOptions } from "./formats/sharded-weights-format.js";
import type { TfliteWriteOptions } from "./formats/tflite-format.js";
import { keras2WeightNames, withVariablePaths } from "./keras2-names.js";
import { fileWeightSizes, refuseUnsafeConfig } from "./load-guards.js";
import { describeLocation, locate, locateForRead, type Target } from "./location.js";
import { withPortableLossNames } from "./loss-names.js";
import { optimizerNodeFor, restoreOptimizer, trainingConfigFor } from "./optimizer-state.js";
import { withTensorflowKernels } from "./theano-kernels.js";
import { withCanonicalRecurrentWeights } from "./cudnn-weights.js";

/**
 * The writer `save` uses for a path no writer's extension names: as the guide's
 * `model.save("my_model")`, a SavedModel directory.
 */
export const DEFAULT_MODEL_FORMAT = "savedmodel";
/** The writer `saveWeights` uses for a path no writer's extension names: as tf.keras 2, a TF checkpoint prefix. */
export const DEFAULT_WEIGHTS_FORMAT = "checkpoint";

/**
 * A writer's own options, given as `settings` of `save`: the built-in writers' (`dialect` of
 * `.h5`, `directory` of `.keras`, `quantize` and `batchSize` of `.tflite`, `maxShardSize` of
 * sharded weights), or a user's writer's (the `Options` of its `ModelWriter<Options>`).
 */
export type SaveSettings = H5WriteOptions &
  KerasWriteOptions &
  TfliteWriteOptions &
  ShardedWeightsWriteOptions &
  Readonly<Record<string, unknown>>;

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
  /** The writer's own options, e.g. `{ dialect: "keras3" }` for `.h5` (see {@link SaveSettings}). */
  readonly settings?: SaveSettings | undefined;
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

/** The reader of an existing file: as asked, else detected by content, then extension. */
async function readerFor(location: FormatLocation, options: IoOptions): Promise<ModelReader> {
  const registry = registryOf(options);
  return options.format !== undefined ? registry.reader(options.format) : registry.detect(location);
}

function holdsOnlyWeights(where: string, format: string): FacadeError {
  return new FacadeError(
    "format-cannot-read",
    cannot(
      "load a model from",
      where,
      `a ${format} file holds only weights`,
      "build the model in code and call model.loadWeights()",
    ),
    { path: where },
  );
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
  const reader = await readerFor(location, options);
  const warn = options.onWarning ?? defaultWarn;
  // Read once, whatever the reader's name promises: what the file proved to be (its layout, what
  // it holds) is part of the result, so a legacy model named .weights.h5 still loads.
  const { data, layout, holds, format } = await reader.read(location, {
    safeMode: options.safeMode !== false,
    onWarning: warn,
  });
  if (!holds.architecture) throw holdsOnlyWeights(where, format);
  if (data.modelConfig === undefined) {
    throw new FacadeError("format-cannot-read", cannot("load a model from", where, "it holds no model config"), {
      path: where,
    });
  }
  // The customObjectScopes open around this (async) load count for the losses and metrics too.
  const customObjects = { ...options.modelClasses, ...scopedObjects(), ...options.customObjects };
  refuseKeras1Version(data.kerasVersion, where);
  if (options.safeMode !== false) refuseUnsafeConfig(data.modelConfig, where, customObjects);
  const budget: WeightBudget = {
    maxBytes: options.weightBudget?.maxBytes,
    fileWeights: holds.weights ? fileWeightSizes(data.root) : undefined,
    where,
  };
  // The engine builds it, refusing a config that describes a layer rather than a model.
  const built = withWeightBudget(budget, () =>
    modelFromJson(data.modelConfig!, {
      customObjects,
      registry: options.registry,
      kerasVersion: kerasMajor(data.kerasVersion),
    }),
  );
  try {
    if (holds.weights) applyWeights(built, withCanonicalRecurrentWeights(withTensorflowKernels(data)), layout, where);
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
    const compiled = compileFromSaved(built, data.trainingConfig, {
      customObjects,
      registry: options.registry,
      onWarning: warn,
    });
    if (compiled && holds.optimizer) restoreOptimizer(built, data.root, layout, where, warn);
  }
  return built;
}

/**
 * Saves a whole model. The format is `options.format`, else the path's extension (`.keras`,
 * `.h5`, `.hdf5`, `.json`).
 */
export async function saveModel(model: Model, target: Target, options: SaveModelOptions = {}): Promise<void> {
  const location = locate(target);
  const writer = registryOf(options).forWriting(location.path, options.format, DEFAULT_MODEL_FORMAT);
  const warn = options.onWarning ?? defaultWarn;
  const common: WriteOptions = {
    includeOptimizer: options.includeOptimizer !== false,
    weightsOnly: false,
    liveModel: model,
    onWarning: warn,
  };
  const writeOptions = { ...options.settings, ...common };
  const plan = writer.plan(writeOptions);
  warnOfChangedDefinitions(model, writer, plan, warn);
  await writer.write(location, savedDataFor(model, writer, plan), writeOptions);
}

/**
 * A file names activations; its reader computes each as its own Keras defines it, and Keras 3
 * changed `hard_sigmoid`. A model read from a Keras 2 file computes Keras 2's, one built here
 * Keras 3's. Keras 3 reads every format with its own definition, tf.keras 2 a Keras 2 dialect
 * `.h5` with Keras 2's (Kerastore follows the file's keras_version, see savedDataFor): warn of
 * each reader that would compute something else.
 */
function warnOfChangedDefinitions(
  model: Model,
  writer: ModelWriter,
  plan: WritePlan,
  warn: (message: string) => void,
): void {
  // A SavedModel or a .tflite holds the computation itself (run as its graph by TensorFlow,
  // Keras 3's TFSMLayer, TF Lite), which keeps the model's definitions.
  if (!writer.holds.architecture || plan.computes === "graph") return;
  const keras2File = plan.dialect === "h5-keras2";
  const formula = "(hard_sigmoid: Keras 2 clip(0.2x + 0.5, 0, 1), Keras 3 relu6(x + 3) / 6)";
  const keras2Defined = layersWithOtherDefinitions(model, 3);
  if (keras2Defined.length > 0) {
    const keep = keras2File
      ? "tf.keras 2 and Kerastore keep it"
      : "save as .h5 (Keras 2 dialect, the default) for tf.keras 2 and Kerastore to keep it";
    warn(
      `${keras2Defined.join(", ")}: Keras 3 computes this activation by its own definition ${formula}, so it will predict differently from this ${writer.name} file; ${keep}`,
    );
  }
  const keras3Defined = keras2File ? layersWithOtherDefinitions(model, 2) : [];
  if (keras3Defined.length > 0) {
    warn(
      `${keras3Defined.join(", ")}: tf.keras 2 computes this activation by its own definition ${formula}, so it will predict differently from this Keras 2 dialect .h5 (Keras 3 and Kerastore keep it; save as .keras for Keras 3 only)`,
    );
  }
}

/**
 * The model as plain data for a format, with its compile information and optimizer state in
 * the dialect the writer's plan asks for. Legacy H5 defaults to the Keras 2 dialect (what both
 * tf.keras 2.x and Keras 3 load), so its config is converted.
 */
function savedDataFor(model: Model, writer: ModelWriter, plan: WritePlan): SavedModelData {
  const dialect = plan.dialect;
  const legacy = dialect !== "keras3";
  const optimizer = plan.optimizer && writer.holds.optimizer ? optimizerNodeFor(model, dialect) : undefined;
  const saved = toSavedModelData(model, { optimizer });
  // The Keras 3 dialect as Keras 3's from_config takes it: no Keras 2 leftovers (time_major, a
  // first layer's batch_shape, ...) from a model read from a Keras 2 file.
  const data =
    dialect === "h5-keras2" || saved.modelConfig === undefined
      ? saved
      : { ...saved, modelConfig: writeModelConfig(readModelJson(saved.modelConfig).model, { dialect: "keras3" }) };
  // A graph (a SavedModel's) computes Keras 2's hard_sigmoid for a model read from a Keras 2
  // file; its metadata says so (keras_version), as a Keras 2 dialect .h5 does.
  if (plan.computes === "graph" && layersWithOtherDefinitions(model, 3).length > 0)
    return { ...data, kerasVersion: "2.15.0" };
  if (!legacy) return data;
  const trainingConfig = withPortableLossNames(
    trainingConfigFor(model, dialect === "h5-keras3" ? "h5-keras3" : "h5-keras2") ?? keptTrainingConfig(model),
  );
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
  const envelope = isJsonObject(optimizer)
    ? { class_name: optimizer.class_name ?? null, config: optimizer.config ?? null }
    : optimizer;
  return { ...rest, optimizer_config: envelope };
}

/**
 * Saves only the weights: `.weights.h5` writes Keras 3's weights file, `.h5` / `.hdf5` the
 * Keras 2 weights-only H5, any other path a TF checkpoint (`prefix.index` + data) named as
 * tf.keras 2 names it, with the `checkpoint` state file beside it.
 */
export async function saveWeights(model: Model, target: Target, options: SaveWeightsOptions = {}): Promise<void> {
  const location = shardedTarget(locate(target), options.maxShardSize);
  const writer = registryOf(options).forWriting(location.path, options.format, DEFAULT_WEIGHTS_FORMAT);
  if (!writer.holds.weights) {
    throw new FacadeError(
      "unsupported",
      cannot(
        "save weights to",
        describeLocation(location),
        `the ${writer.name} format cannot hold weights`,
        "use a path ending .weights.h5 or .h5, or a checkpoint prefix",
      ),
    );
  }
  const common: WriteOptions = {
    includeOptimizer: options.includeOptimizer !== false,
    weightsOnly: true,
    liveModel: model,
    onWarning: options.onWarning ?? defaultWarn,
  };
  const own: CheckpointWriteOptions & ShardedWeightsWriteOptions = {
    ...(options.optimizer === undefined ? {} : { optimizer: options.optimizer }),
    ...(options.maxShardSize === undefined ? {} : { maxShardSize: options.maxShardSize }),
  };
  const writeOptions = { ...options.settings, ...own, ...common };
  await writer.write(location, savedDataFor(model, writer, writer.plan(writeOptions)), writeOptions);
}

/**
 * `saveWeights` with `maxShardSize` (Keras's `save_weights(max_shard_size=...)`) names the
 * sharded index: a `.weights.h5` path becomes `.weights.json`, as in Keras.
 */
function shardedTarget(location: FormatLocation, maxShardSize: number | undefined): FormatLocation {
  if (maxShardSize === undefined) return location;
  const path = location.path.endsWith(".weights.h5") ? `${location.path.slice(0, -".h5".length)}.json` : location.path;
  if (!path.endsWith(".weights.json")) {
    throw new FacadeError(
      "unsupported",
      cannot(
        "save sharded weights to",
        describeLocation(location),
        "the index must end in .weights.json",
        "name it like model.weights.json",
      ),
    );
  }
  return { store: location.store, path };
}

/**
 * Loads weights into a built model: by topology (default) or by layer name for H5, by place
 * for Keras 3 weights files, by object-graph matching for TF checkpoints (the result's
 * `status` then has `assertConsumed()` and friends). Full-model files are accepted too.
 */
export async function loadWeights(
  model: Model,
  target: Target,
  options: LoadWeightsOptions = {},
): Promise<LoadWeightsResult> {
  await initBackend();
  const location = await locateForRead(target);
  const where = describeLocation(location);
  const reader = await readerFor(location, options);
  if (!reader.holds.weights) {
    throw new FacadeError(
      "format-cannot-read",
      cannot("load weights from", where, `a ${reader.name} file holds no weights`),
    );
  }
  if (readsWeightsIntoModel(reader)) {
    // The format pairs the file's objects with the model itself (a TF checkpoint's object graph).
    const under = { byName: options.byName === true, optimizer: options.optimizer, under: options.checkpointRoot };
    const { loaded, status } = await reader.readWeightsInto(model, location, under);
    return { format: reader.name, loaded, status };
  }
  const warn = options.onWarning ?? defaultWarn;
  const result = await reader.read(location, { safeMode: true, onWarning: warn });
  if (!result.holds.weights) {
    throw new FacadeError(
      "format-cannot-read",
      cannot("load weights from", where, `a ${result.format} file holds no weights`),
    );
  }
  const data = withCanonicalRecurrentWeights(withTensorflowKernels(result.data));
  const loaded = applyWeights(model, data, result.layout, where, options);
  // As Keras 3's load_weights: a compiled model takes the optimizer state a .weights.h5 holds.
  if (result.layout === "walk-path") restoreOptimizer(model, data.root, result.layout, where, warn);
  return { format: result.format, loaded };
}
