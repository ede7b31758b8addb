export { type ApplyWeightsOptions, applyWeights } from "./apply-weights.js";
export { FacadeError, type FacadeErrorCode } from "./errors.js";
export { builtinFormats, defaultFormatRegistry } from "./formats/builtin-formats.js";
export type {
  FormatHolds,
  FormatLocation,
  FormatReadOptions,
  FormatWriteOptions,
  ModelFormat,
  WeightLayout,
} from "./formats/format.js";
export { type FormatRegistry, createFormatRegistry } from "./formats/format-registry.js";
export { legacyH5Format, weightsH5Format } from "./formats/h5-formats.js";
export { jsonFormat } from "./formats/json-format.js";
export { kerasFormat } from "./formats/keras-format.js";
export { keras } from "./keras.js";
export { type Target, locate } from "./location.js";
export { Model, type SavableModel, Sequential, modelClasses } from "./model-classes.js";
export {
  type IoOptions,
  type LoadModelOptions,
  type LoadWeightsOptions,
  type LoadWeightsResult,
  type SaveModelOptions,
  loadModel,
  loadWeights,
  saveModel,
  saveWeights,
} from "./model-io.js";
