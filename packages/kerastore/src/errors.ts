import { KerastoreError } from "@kerastore/core";

/** Codes of the errors the facade throws itself (formats and the engine throw their own). */
export type FacadeErrorCode =
  | "unknown-format"
  | "format-cannot-read"
  | "format-cannot-write"
  | "invalid-argument"
  | "not-found"
  | "unsupported";

/** An error from the `kerastore` facade: format choice, arguments, the CLI. */
export class FacadeError extends KerastoreError<FacadeErrorCode> {}
