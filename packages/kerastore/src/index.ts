export { type ApplyWeightsOptions, applyWeights } from "./apply-weights.js";
export { FacadeError, type FacadeErrorCode } from "./errors.js";
export { builtinFormats, defaultFormatRegistry } from "./formats/builtin-formats.js";
export {
  type FormatHolds,
  type FormatLocation,
  type ModelFormat,
  type ModelReadResult,
  type ModelReader,
  type ModelWriter,
  type ReadOptions,
  type WeightLayout,
  type WriteOptions,
  type WritePlan,
  isModelReader,
  isModelWriter,
} from "./formats/format.js";
export { type FormatRegistry, createFormatRegistry } from "./formats/format-registry.js";
export {
  type FormatInspector,
  type FormatRunner,
  type ReadWeightsIntoOptions,
  type ReadWeightsIntoResult,
  type RunInput,
  type RunOptions,
  type WeightsIntoModel,
  isFormatInspector,
  isFormatRunner,
  readsWeightsIntoModel,
} from "./formats/capabilities.js";
export { type InspectReport, type InspectTensor, inspectReportOf } from "./formats/inspect-report.js";
export { type H5WriteOptions, legacyH5Format, weightsH5Format } from "./formats/h5-formats.js";
export { jsonFormat } from "./formats/json-format.js";
export { type KerasWriteOptions, kerasFormat } from "./formats/keras-format.js";
export { savedModelFormat } from "./formats/savedmodel-format.js";
export { type ShardedWeightsWriteOptions, shardedWeightsFormat } from "./formats/sharded-weights-format.js";
export { type TfliteWriteOptions, tfliteFormat } from "./formats/tflite-format.js";
export {
  Checkpoint,
  type CheckpointOptions,
  type Trackable,
} from "./checkpoint/live-checkpoint.js";
export type { CheckpointOptimizer, CheckpointOptimizerVariable } from "./checkpoint/live-binding.js";
export {
  type ModelCheckpointOptions,
  type ModelRestoreResult,
  modelCheckpointTree,
  restoreModelCheckpoint,
  writeModelCheckpoint,
} from "./checkpoint/model-checkpoint.js";
export { type CheckpointTreeOptions, toCheckpointTree } from "./checkpoint/checkpoint-tree.js";
export { CheckpointManager, type CheckpointManagerOptions, latestCheckpoint } from "./checkpoint/train.js";
export { type CheckpointWriteOptions, checkpointFormat } from "./formats/checkpoint-format.js";
export { keras } from "./keras.js";
// The tensor helpers a user needs beside `keras`, so one import does.
export { type DType, type HostTensor, type NumericHostTensor, hostTensor, readNpy, writeNpy } from "@kerastore/core";
export { tf } from "@kerastore/engine";
export { type Target, locate } from "./location.js";
export { BlobTarget, blobTarget } from "./blob-target.js";
export { type CheckpointPaths, type FileSystem, fileSystem, setFileSystem } from "./file-system.js";
export { Model, type SavableModel, Sequential, modelClasses } from "./model-classes.js";
export {
  type IoOptions,
  type LoadModelOptions,
  type LoadWeightsOptions,
  type LoadWeightsResult,
  type SaveModelOptions,
  type SaveSettings,
  type SaveWeightsOptions,
  DEFAULT_MODEL_FORMAT,
  DEFAULT_WEIGHTS_FORMAT,
  loadModel,
  loadWeights,
  saveModel,
  saveWeights,
} from "./model-io.js";
export {
  type GraphValue,
  type LoadSavedModelOptions,
  type LoadedSavedModel,
  type LoadedVariable,
  type SavedFunction,
  type SignatureFunction,
  TensorList,
  loadSavedModel,
  tfjsKernels,
} from "./savedmodel/index.js";
