import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/** Codes of the errors `@kerastore/engine` throws. */
export type EngineErrorCode =
  | "backend"
  | "invalid-config"
  | "unknown-object"
  | "invalid-shape"
  | "invalid-argument"
  | "weight-mismatch"
  | "not-built"
  | "not-found"
  | "unsupported";

/** An error from `@kerastore/engine`: layers, models, weights and the backend. */
export class EngineError extends KerastoreError<EngineErrorCode> {
  constructor(code: EngineErrorCode, message: string, options: KerastoreErrorOptions = {}) {
    super(code, message, options);
  }
}
