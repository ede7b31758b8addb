export {
  type LoadSavedModelOptions,
  type LoadedSavedModel,
  type LoadedVariable,
  type SavedFunction,
  type SignatureFunction,
  loadSavedModel,
} from "./load-saved-model.js";
export { type GraphValue, TensorList } from "./tensor-list.js";
export { tfjsKernels } from "./tfjs-kernels.js";
