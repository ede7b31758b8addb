import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/** Codes of the errors `@kerastore/tflite` throws. */
export type TfliteErrorCode =
  /** Bytes that are not a TFLite flatbuffer: bad identifier, offsets or lengths outside the file. */
  | "corrupt"
  /** A well-formed file that breaks the model's own rules (a tensor naming a missing buffer). */
  | "invalid-model"
  /** A valid file using a feature this package does not handle (buffers outside the flatbuffer). */
  | "unsupported"
  /** A caller-supplied model the writer cannot store. */
  | "invalid-argument";

/** An error from `@kerastore/tflite`. */
export class TfliteError extends KerastoreError<TfliteErrorCode> {
  constructor(code: TfliteErrorCode, message: string, options?: KerastoreErrorOptions) {
    super(code, message, options);
  }
}
