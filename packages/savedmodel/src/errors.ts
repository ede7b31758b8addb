import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/** Codes of the errors `@kerastore/savedmodel` throws. */
export type SavedModelErrorCode =
  /** A SavedModel directory, file, function or signature that is not there. */
  | "not-found"
  /** Bytes or references that do not follow the format: truncation, lying sizes, dangling ids. */
  | "corrupt"
  /** A valid SavedModel using something this package does not handle (an op, a text proto). */
  | "unsupported"
  /** A kernel threw while running a node (input shapes it rejects, attributes it cannot honour). */
  | "kernel-failed"
  /** A caller-supplied value that does not fit: wrong input names, counts, dtypes or shapes. */
  | "invalid-argument";

/** An error from `@kerastore/savedmodel`. */
export class SavedModelError extends KerastoreError<SavedModelErrorCode> {
  constructor(code: SavedModelErrorCode, message: string, options?: KerastoreErrorOptions) {
    super(code, message, options);
  }
}
