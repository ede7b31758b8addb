/**
 * The brand every Kerastore error carries, under a well-known key (`Symbol.for`), so that an
 * error thrown by one installed copy of a package is recognised by another copy's
 * {@link isKerastoreError} (and `instanceof KerastoreError`), where `instanceof` alone fails.
 */
const BRAND: unique symbol = Symbol.for("kerastore.error") as never;

/**
 * Codes renamed when the packages settled on one vocabulary (docs/errors.md), old → new.
 * {@link isKerastoreError} still accepts the old names, which docs once promised.
 */
export const RENAMED_ERROR_CODES: Readonly<Record<string, string>> = Object.freeze({
  "bad-argument": "invalid-argument",
  "invalid-option": "invalid-argument",
  "invalid-file": "corrupt",
  "invalid-zip": "corrupt",
});

/**
 * The base of every error Kerastore throws on purpose.
 *
 * Each package derives one class from it with a closed union of codes drawn from one
 * vocabulary (docs/errors.md). Messages read `cannot <verb> <subject>: <reason>` and end with
 * the fix where the user can make one.
 */
export class KerastoreError<Code extends string = string> extends Error {
  /**
   * `instanceof KerastoreError` also holds for errors from another installed copy of core
   * (they carry the same `Symbol.for` brand); subclasses keep the plain prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === KerastoreError && isBranded(value);
  }

  /** A stable, machine-readable reason; each package declares its closed union. */
  readonly code: Code;
  /** The file, directory, archive member or object path the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(code: Code, message: string, options: KerastoreErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.path = options.path;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

function isBranded(value: unknown): value is KerastoreError {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [BRAND]?: unknown })[BRAND] === true &&
    typeof (value as { code?: unknown }).code === "string"
  );
}

/**
 * True when `error` is an error Kerastore threw on purpose (from any installed copy of any
 * Kerastore package), and, when `code` is given, carries that code. A code renamed when the
 * vocabulary settled (`invalid-file` → `corrupt`) still matches under its old name.
 */
export function isKerastoreError(error: unknown, code?: string): error is KerastoreError {
  if (!isBranded(error)) return false;
  if (code === undefined || error.code === code) return true;
  return (RENAMED_ERROR_CODES[code] ?? code) === (RENAMED_ERROR_CODES[error.code] ?? error.code);
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
  | "too-deep"
  | "not-loaded"
  | "unsupported";

/** An error from `@kerastore/core`: tensors, stores and `.npy` files. */
export class CoreError extends KerastoreError<CoreErrorCode> {}
