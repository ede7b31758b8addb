// @kerastore/tfjs-layers-format: the TensorFlow.js Layers format (model.json + weight shards)
// as a Kerastore format plug-in, written only against Kerastore's public format interface.
export {
  type DirectoryWriter,
  type TfjsLayersFormat,
  type TfjsWriteOptions,
  kerastoreFormats,
  tfjsFormatWith,
  tfjsLayersFormat,
} from "./tfjs-format.js";
export { TfjsFormatError, type TfjsFormatErrorCode } from "./errors.js";
export { DEFAULT_SHARD_SIZE_BYTES, type QuantizationDType, type TfjsWriteSettings, writeSettings } from "./options.js";
export { type QuantizationEntry, type Quantized, affineRange, dequantize, quantize } from "./quantize.js";
export { type TfjsConfigOptions, type TfjsModelConfig, type TfjsProblem, tfjsModelConfig } from "./topology.js";
export { type NamedWeight, tfjsWeightNames } from "./weight-names.js";
export {
  CONVERTED_BY,
  type ManifestGroup,
  type ManifestWeight,
  type TfjsArtifacts,
  describeProblems,
  tfjsArtifacts,
  writeTfjsArtifacts,
} from "./write-model.js";
export { MAX_MODEL_JSON_BYTES, readTfjsLayers } from "./read-model.js";
