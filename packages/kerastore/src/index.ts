// The tensor helpers a user needs beside `keras`, so one import does.
export {
  type DType,
  type HostTensor,
  hostTensor,
  isKerastoreError,
  KerastoreError,
  type NumericHostTensor,
  readNpy,
  writeNpy,
} from "@kerastore/core";
export { tf } from "@kerastore/engine";
// The SavedModel graph runner's types; its values (`tfjsKernels`, `TensorList`) are
// `@kerastore/savedmodel-lowering`'s, which loads only when a SavedModel is (see node.ts).
export type {
  GraphValue,
  LoadedSavedModel,
  LoadedVariable,
  LoadSavedModelOptions,
  SavedFunction,
  SignatureFunction,
} from "@kerastore/savedmodel-lowering";
export { type ApplyWeightsOptions, applyWeights } from "./apply-weights.js";
export { BlobTarget, blobTarget } from "./blob-target.js";
export { type CheckpointTreeOptions, toCheckpointTree } from "./checkpoint/checkpoint-tree.js";
export type { CheckpointOptimizer, CheckpointOptimizerVariable } from "./checkpoint/live-binding.js";
export {
  Checkpoint,
  type CheckpointOptions,
  type Trackable,
} from "./checkpoint/live-checkpoint.js";
export {
  type ModelCheckpointOptions,
  type ModelRestoreResult,
  modelCheckpointTree,
  restoreModelCheckpoint,
  writeModelCheckpoint,
} from "./checkpoint/model-checkpoint.js";
export { CheckpointManager, type CheckpointManagerOptions, latestCheckpoint } from "./checkpoint/train.js";
export { FacadeError, type FacadeErrorCode } from "./errors.js";
export { type CheckpointPaths, type FileSystem, fileSystem, setFileSystem } from "./file-system.js";
export { builtinFormats, defaultFormatRegistry } from "./formats/builtin-formats.js";
export {
  type FormatInspector,
  type FormatRunner,
  isFormatInspector,
  isFormatRunner,
  type ReadWeightsIntoOptions,
  type ReadWeightsIntoResult,
  type RunInput,
  type RunOptions,
  readsWeightsIntoModel,
  type WeightsIntoModel,
} from "./formats/capabilities.js";
export { type CheckpointWriteOptions, checkpointFormat } from "./formats/checkpoint-format.js";
export {
  type ConvertSource,
  type FormatHolds,
  type FormatLocation,
  isModelReader,
  isModelWriter,
  type ModelFormat,
  type ModelReader,
  type ModelReadResult,
  type ModelWriter,
  type ReadOptions,
  type WeightLayout,
  type WriteOptions,
  type WritePlan,
} from "./formats/format.js";
export { createFormatRegistry, type FormatRegistry } from "./formats/format-registry.js";
export { type H5WriteOptions, legacyH5Format, weightsH5Format } from "./formats/h5-formats.js";
export { type InspectReport, type InspectTensor, inspectReportOf } from "./formats/inspect-report.js";
export { jsonFormat } from "./formats/json-format.js";
export { type KerasWriteOptions, kerasFormat } from "./formats/keras-format.js";
export { savedModelFormat } from "./formats/savedmodel-format.js";
export { type ShardedWeightsWriteOptions, shardedWeightsFormat } from "./formats/sharded-weights-format.js";
export { type TfliteWriteOptions, tfliteFormat } from "./formats/tflite-format.js";
export { keras } from "./keras.js";
export { locate, type Target } from "./location.js";
export { Model, modelClasses, type SavableModel, Sequential } from "./model-classes.js";
export {
  DEFAULT_MODEL_FORMAT,
  DEFAULT_WEIGHTS_FORMAT,
  type IoOptions,
  type LoadModelOptions,
  type LoadWeightsOptions,
  type LoadWeightsResult,
  loadModel,
  loadWeights,
  type SaveModelOptions,
  type SaveSettings,
  type SaveWeightsOptions,
  saveModel,
  saveWeights,
} from "./model-io.js";
export { loadSavedModel } from "./saved-model-load.js";
