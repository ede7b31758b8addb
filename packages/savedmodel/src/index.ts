export { SavedModelError, type SavedModelErrorCode } from "./errors.js";
export { dataTypeName, dtypeOfDataType } from "./dtypes.js";
export { type PartialShape, formatPartialShape, shapeFits } from "./shape.js";
export { decodeTensorProto } from "./tensor-proto.js";
export {
  type Packed,
  type Structure,
  type TensorSpec,
  decodeStructure,
  flattenSpecs,
  packStructure,
} from "./structure.js";
export { type NodeAttrs, nodeAttrs } from "./attrs.js";
export type {
  SavedConcreteFunction,
  SavedModelInfo,
  SavedModelVariable,
  SavedObject,
  SavedObjectKind,
  SavedSignature,
  SignatureTensor,
} from "./saved-model.js";
export { parseSavedModel } from "./parse-saved-model.js";
export {
  type ReadSavedModelOptions,
  SAVED_MODEL_PB,
  SAVED_MODEL_PBTXT,
  VARIABLES_PREFIX,
  readSavedModel,
} from "./read-saved-model.js";
export { type FunctionPlan, type PlannedNode, type TensorRef, planFunction } from "./function-plan.js";
export {
  type BoundCall,
  type CallArgument,
  type CaptureSource,
  type FunctionRunner,
  type Kernel,
  type KernelContext,
  type KernelOutputs,
  type PythonValue,
  type RunnerBackend,
  createFunctionRunner,
} from "./function-runner.js";
export { FunctionBuilder, attr, dataTypeOf, shapeProto, tensorProto } from "./graph-build.js";
export { fullArgSpec, sv } from "./structure-build.js";
export { KERAS_METADATA_PB, type KerasObjectMetadata, readKerasMetadata } from "./keras-metadata.js";
export {
  type KerasNodeMetadata,
  type RootFunctionToWrite,
  type SignatureToWrite,
  type WriteSavedModelSpec,
  type WrittenTensorSpec,
  writeSavedModel,
} from "./write-saved-model.js";
