export {
  type DType,
  type DTypeArrayMap,
  type NumericArray,
  type NumericDType,
  allocate,
  assertDType,
  bytesOf,
  isDType,
  itemSize,
  viewAs,
} from "./dtype.js";
export {
  CoreError,
  type CoreErrorCode,
  KerastoreError,
  type KerastoreErrorOptions,
  RENAMED_ERROR_CODES,
  cannot,
  isKerastoreError,
} from "./errors.js";
export {
  bfloat16BitsToNumber,
  decodeBfloat16,
  decodeFloat16,
  encodeBfloat16,
  encodeFloat16,
  float16BitsToNumber,
  numberToBfloat16Bits,
  numberToFloat16Bits,
} from "./half.js";
export { type JsonObject, type JsonValue, isJsonObject } from "./json.js";
export { MemoryStore } from "./memory-store.js";
export {
  commitRecordPath,
  moveInStore,
  readThroughPendingSaves,
  removeLeftovers,
  settlePendingSave,
  writeFileSet,
} from "./file-set.js";
export { utf8Decode, utf8Encode } from "./utf8.js";
export { type ChecksumKernel, kernelDisagreement } from "./checksum-kernel.js";
export { readNpy, writeNpy } from "./npy.js";
export { parsePythonJson, stringifyPythonJson } from "./python-json.js";
export {
  type SavedEdge,
  type SavedModelData,
  type SavedNode,
  type SavedSlot,
  type SavedVariable,
  childOf,
  savedNode,
  savedWeightList,
  walkSavedTree,
} from "./saved-tree.js";
export { type BuiltinWeightLayout, type WeightLayout, WEIGHT_LAYOUTS, isBuiltinWeightLayout } from "./weight-layout.js";
export { keras3WalkPaths } from "./keras3-walk-paths.js";
export { toSnakeCase } from "./snake-case.js";
export {
  type RandomAccessSource,
  bytesSource,
  checkRange,
  isRandomAccessSource,
  openSource,
  rangeSource,
  subSource,
} from "./random-access.js";
export {
  type BytesCopier,
  type PendingTensor,
  type TensorLoader,
  isPendingTensor,
  loadTreeValues,
  pendingTensor,
  treeByteSize,
} from "./pending-tensor.js";
export { type Store, type WriteData, basenameOf, chunksOf, dirnameOf, joinPath } from "./store.js";
export {
  type HostTensor,
  type NumericHostTensor,
  type StringHostTensor,
  assertShape,
  byteSizeOf,
  formatShape,
  hostTensor,
  sameShape,
  sizeOf,
  stringTensor,
  stringValues,
  toFloat32,
  zeros,
} from "./tensor.js";
export { type BlobLike, BlobStore, type FileLike } from "./web/blob-store.js";
export { type FetchLike, type FetchResponse, HttpStore, type HttpStoreOptions } from "./web/http-store.js";
