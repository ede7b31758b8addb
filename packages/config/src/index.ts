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
