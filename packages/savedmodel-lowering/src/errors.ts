import { KerastoreError } from "@kerastore/core";

/** Codes of the errors the SavedModel lowering and graph runner throw. */
export type LoweringErrorCode = "unsupported" | "invalid-argument" | "format-cannot-read" | "format-cannot-write";

/** An error from `@kerastore/savedmodel-lowering`: a layer with no lowering, a graph input of the wrong kind. */
export class LoweringError extends KerastoreError<LoweringErrorCode> {}
