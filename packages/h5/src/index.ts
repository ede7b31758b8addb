export { HEADER_LIMIT } from "./chunked-attr.js";
export { H5Error, type H5ErrorCode } from "./errors.js";
export { type H5ReadBackend, isHdf5 } from "./h5-read-file.js";
export type { SyncReadableSource } from "./native/native-read-file.js";
export type {
  LegacyH5Contents,
  LegacyLayerWeights,
  LegacyOptimizerWeight,
  LegacyWeightGroup,
} from "./legacy-contents.js";
export { legacyToSavedModel, weightPath } from "./legacy-tree.js";
export { type Keras3PartialEntry, type Keras3VarsEntry, keras3EntriesToTree } from "./read-keras3-weights.js";
export {
  type Keras3Shard,
  type Keras3ShardedWeights,
  MAX_SHARDS,
  type ShardWeightsOptions,
  keras3WeightsShards,
  readKeras3WeightsShards,
  shardFileNames,
} from "./keras3-shards.js";
export {
  type KerasH5,
  type ReadH5Options,
  readKeras3WeightsH5,
  readKerasH5,
  readLegacyH5,
} from "./read-keras-h5.js";
export {
  type WriteKeras3WeightsOptions,
  keras3WalkPaths,
  keras3WeightsH5Chunks,
  toSnakeCase,
  writeKeras3WeightsH5,
} from "./write-keras3-weights.js";
export type { H5WriteBackend } from "./write-backend.js";
export { type WriteLegacyH5Options, legacyH5Chunks, legacyWeightsOf, writeLegacyH5 } from "./write-legacy-h5.js";
