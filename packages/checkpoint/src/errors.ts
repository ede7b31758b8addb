import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/** Codes of the errors `@kerastore/checkpoint` throws. */
export type CheckpointErrorCode =
  /** A checkpoint file, key or directory that is not there. */
  | "not-found"
  /** Bytes that do not follow the format: bad magic, truncated blocks, lying sizes or offsets. */
  | "corrupt"
  /** A stored CRC32C does not match the bytes. */
  | "crc-mismatch"
  /** A valid file using a feature this package does not handle (a dtype, slices, big-endian). */
  | "unsupported"
  /** A caller-supplied value the writer cannot store. */
  | "invalid-argument"
  /** A restore whose checkpoint and objects do not match (shape, dtype, unmatched objects). */
  | "mismatch";

/** An error from `@kerastore/checkpoint`. */
export class CheckpointError extends KerastoreError<CheckpointErrorCode> {
  constructor(code: CheckpointErrorCode, message: string, options?: KerastoreErrorOptions) {
    super(code, message, options);
  }
}
