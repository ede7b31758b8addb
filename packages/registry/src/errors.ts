import { KerastoreError } from "@kerastore/core";

/** Codes of the errors `@kerastore/registry` throws. */
export type RegistryErrorCode =
  /** A name is already taken by another object in the same registry. */
  | "duplicate-name"
  /** A name or package is empty or holds the `>` separator where it may not. */
  | "invalid-name"
  /** The value to register is not a class or a function. */
  | "invalid-value";

/** An error from `@kerastore/registry`. */
export class RegistryError extends KerastoreError<RegistryErrorCode> {}
