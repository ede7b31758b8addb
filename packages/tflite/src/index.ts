export type { BuiltinOptionsData, BuiltinOptionsKind } from "./builtin-options.js";
export { TfliteError, type TfliteErrorCode } from "./errors.js";
export { type ReadTfliteOptions, TFLITE_IDENTIFIER, isTflite, readTflite } from "./read-tflite.js";
export {
  BuiltinOperator,
  TFLITE_SCHEMA_VERSION,
  type TfliteMetadata,
  type TfliteModel,
  type TfliteOperator,
  type TfliteOperatorCode,
  type TfliteQuantization,
  type TfliteSignatureDef,
  type TfliteSubgraph,
  type TfliteTensor,
  type TfliteTensorMap,
  TensorType,
  builtinOperatorName,
  deprecatedBuiltinCode,
  tensorTypeName,
  tensorTypeSize,
} from "./tflite-model.js";
export { tfliteToSavedTree } from "./tflite-tree.js";
export { writeTflite } from "./write-tflite.js";
