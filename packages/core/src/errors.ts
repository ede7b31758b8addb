/**
 * The base of every error Kerastore throws on purpose.
 *
 * Each package derives one class from it with a closed union of codes. Messages read
 * `cannot <verb> <subject>: <reason>` and end with the fix where the user can make one.
 */
export class KerastoreError<Code extends string = string> extends Error {
  /** A stable, machine-readable reason; each package declares its closed union. */
  readonly code: Code;
  /** The file, directory, archive member or object path the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(code: Code, message: string, options: KerastoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.name = new.target.name;
  }
}

/** Extra facts an error may carry. */
export interface KerastoreErrorOptions {
  /** The file or object path the error is about. */
  readonly path?: string | undefined;
  /** The lower-level error that caused this one. */
  readonly cause?: unknown;
}

/**
 * Builds the house message: `cannot <verb> <subject>: <reason>[; <fix>]`.
 */
export function cannot(verb: string, subject: string, reason: string, fix?: string): string {
  return `cannot ${verb} ${subject}: ${reason}${fix === undefined ? "" : `; ${fix}`}`;
}

/** Codes of the errors `@kerastore/core` itself throws. */
export type CoreErrorCode =
  | "invalid-dtype"
  | "invalid-shape"
  | "size-mismatch"
  | "not-found"
  | "io"
  | "invalid-npy"
  | "not-loaded"
  | "unsupported";

/** An error from `@kerastore/core`: tensors, stores and `.npy` files. */
export class CoreError extends KerastoreError<CoreErrorCode> {}
