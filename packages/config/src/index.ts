export {
  type ConfigurableClass,
  type DeserializeOptions,
  type FromConfigOptions,
  deserialize,
  typeName,
  unknownNameMessage,
} from "./deserialize.js";
export { ConfigError, type ConfigErrorCode, maxConfigDepth } from "./errors.js";
export {
  type Dialect,
  type Keras2Envelope,
  type Keras2Tuple,
  type Keras3Envelope,
  type Keras3FunctionEnvelope,
  type KerasEnvelope,
  type KerasTensorJson,
  isEnvelope,
  isKeras3Envelope,
} from "./keras-json.js";
export {
  type KerasSerializable,
  type SerializeOptions,
  isKerasSerializable,
  serialize,
  serializeDefaults,
} from "./serialize.js";
export { convertLayerConfig, keras3LayerConfig } from "./dialect-convert.js";
export { assertJsonTree, parseJsonText } from "./json-guard.js";
export {
  type CallNode,
  type ConstantInput,
  type EnvelopeFields,
  type LayerEntry,
  type ModelConfig,
  type ModelJson,
  type NodeValue,
  type TensorRef,
  type TensorStructure,
  batchShapeOf,
  dtypePolicyOf,
  isTensorRef,
  tensorRef,
  tensorRefsIn,
} from "./model-config.js";
export { stringifyPythonJson as stringifyPython } from "@kerastore/core";
export { type ReadModelOptions, modelFromJsonText, readModelJson } from "./read-model-config.js";
export { type WriteModelOptions, toJson, writeModelConfig, writeModelJson } from "./write-model-config.js";
export { sortKeys } from "./key-order.js";
