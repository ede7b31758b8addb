export { type LoadedSavedModel, type LoadedVariable, type SavedFunction, type SignatureFunction, loadSavedModel } from "./load-saved-model.js";
export { tfjsKernels } from "./tfjs-kernels.js";
