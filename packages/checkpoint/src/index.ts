export { CheckpointError, type CheckpointErrorCode } from "./errors.js";
export {
  type Crc32cKernel,
  crc32c,
  crc32cExtend,
  crc32cExtendPortable,
  crc32cKernelName,
  maskCrc,
  setCrc32cKernel,
  unmaskCrc,
} from "./crc32c.js";
export { dtypeOfTf, tfDataType, tfDataTypeName } from "./dtypes.js";
export { snappyDecompress } from "./snappy.js";
export { type TableEntry, readTable } from "./sstable-read.js";
export { buildTable } from "./sstable-write.js";
export { dataFileName, indexFileName } from "./file-names.js";
export {
  type BundleEntry,
  type ReadTensorOptions,
  type TensorBundle,
  openBundle,
  readBundleTensor,
  readBundleTensors,
} from "./bundle-read.js";
export { writeBundle } from "./bundle-write.js";
export { OBJECT_GRAPH_KEY, VARIABLE_VALUE, attributeKey, escapeLocalName, objectPath, slotPath } from "./keys.js";
export { TRACKABLE, decodeObjectGraph, graphToTree } from "./object-graph-read.js";
export { type GraphForWrite, treeToGraph } from "./object-graph-write.js";
export { type ReadCheckpointOptions, readCheckpoint, readObjectGraph, writeCheckpoint } from "./checkpoint-io.js";
export { type CheckpointReader, loadCheckpoint } from "./checkpoint-reader.js";
export {
  type CheckpointState,
  STATE_FILE,
  formatCheckpointState,
  latestCheckpoint,
  parseCheckpointState,
  readCheckpointState,
  writeCheckpointState,
} from "./state-file.js";
export { type RestoreOptions, type RestoreStatus, restoreCheckpoint } from "./restore.js";
export { Checkpoint, type CheckpointObject, variable } from "./checkpoint.js";
export { CheckpointManager, type CheckpointManagerOptions, deleteCheckpoint } from "./checkpoint-manager.js";
