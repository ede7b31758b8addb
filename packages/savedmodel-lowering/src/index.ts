export { LoweringError, type LoweringErrorCode } from "./errors.js";
export { kerasMetadataFor, readKerasRoot } from "./keras-metadata.js";
export {
  type LoadedSavedModel,
  type LoadedVariable,
  type LoadSavedModelOptions,
  loadSavedModel,
  rootVariables,
  type SavedFunction,
  type SavedModelLocation,
  type SignatureFunction,
} from "./load-saved-model.js";
export { lowerCall, lowerModel } from "./lower-model.js";
export { type GraphValue, TensorList } from "./tensor-list.js";
export { tfjsKernels } from "./tfjs-kernels.js";
