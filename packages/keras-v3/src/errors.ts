import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/**
 * Codes of the errors `@kerastore/keras-v3` throws.
 *
 * - `not-a-zip`: no end-of-central-directory record; the bytes are not a zip archive.
 * - `corrupt`: the zip structure is damaged or lies (offsets, sizes, signatures, overlaps).
 * - `unsupported-zip`: a valid zip feature we do not read (encryption, multi-disk, methods
 *   other than stored and deflate).
 * - `crc-mismatch`: a member's bytes do not match its CRC-32.
 * - `zip-bomb`: a member would inflate beyond the configured ratio or absolute caps.
 * - `unsafe-member-name`: a member name that could escape the target directory (`../`,
 *   absolute, backslash, drive letter) or is otherwise not a plain relative path.
 * - `duplicate-member`: two members with the same name.
 * - `missing-member`: a member the archive must have (`config.json`, the weights) is absent.
 * - `invalid-json`: `config.json`, `metadata.json` or a shard index is not the JSON expected.
 * - `unsafe-config`: `safeMode` refused a config that would run code or read outside files.
 * - `invalid-weights`: the weights file could not be read or does not fit the config.
 * - `invalid-argument`: an option or argument the caller passed is not usable.
 */
export type KerasV3ErrorCode =
  | "not-a-zip"
  | "corrupt"
  | "unsupported-zip"
  | "crc-mismatch"
  | "zip-bomb"
  | "unsafe-member-name"
  | "duplicate-member"
  | "missing-member"
  | "invalid-json"
  | "unsafe-config"
  | "invalid-weights"
  | "invalid-argument";

/** An error from `@kerastore/keras-v3`; `path` names the archive (and member) at fault. */
export class KerasV3Error extends KerastoreError<KerasV3ErrorCode> {
  constructor(code: KerasV3ErrorCode, message: string, options: KerastoreErrorOptions = {}) {
    super(code, message, options);
  }
}
