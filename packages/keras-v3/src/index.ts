export { type KerasArchiveFiles, type OpenArchiveOptions, openKerasArchive } from "./archive-files.js";
export { type ByteSource, bytesSource, storeSource } from "./byte-source.js";
export { type Crc32Kernel, crc32, crc32KernelName, crc32Portable, setCrc32Kernel } from "./crc32.js";
export { KerasV3Error, type KerasV3ErrorCode } from "./errors.js";
export { extractKerasArchive } from "./extract.js";
export { unsafeMemberNameReason } from "./member-name.js";
export { type KerasArchiveMetadata, formatDateSaved, makeMetadata, metadataFromJson } from "./metadata.js";
export { ASSETS_DIR, CONFIG_FILE, DEFAULT_KERAS_VERSION, METADATA_FILE, WEIGHTS_H5, WEIGHTS_NPZ } from "./names.js";
export { parsePythonJson, stringifyPythonJson as pythonJson } from "@kerastore/core";
export {
  type KerasArchive,
  type KerasAsset,
  type ReadKerasArchiveOptions,
  readArchiveFiles,
  readKerasArchive,
} from "./read-archive.js";
export { type UnsafeConfigFinding, findUnsafeConfig, safeModeHint } from "./safe-mode.js";
export {
  type WriteKerasArchiveOptions,
  kerasArchiveMembers,
  writeKerasArchive,
  writeKerasArchiveTo,
  writeKerasDirectory,
} from "./write-archive.js";
export { type ZipLimits, defaultZipLimits } from "./zip-limits.js";
export {
  type ReadMemberOptions,
  type ZipDirectory,
  type ZipEntry,
  readZipDirectory,
  readZipMember,
} from "./zip-read.js";
export { type ZipMemberInput, type ZipWriteOptions, writeZip, zipChunks } from "./zip-write.js";
