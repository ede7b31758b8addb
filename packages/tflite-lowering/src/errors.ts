import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/** Codes of the errors `@kerastore/tflite-lowering` throws. */
export type TfliteLoweringErrorCode =
  /** A layer, activation or setting that has no TFLite lowering (the message names it). */
  | "unsupported"
  /** A model that cannot be lowered as it is (unbuilt, unknown sizes). */
  | "invalid-model"
  /** A TFLite operator the interpreter does not run, or a model it cannot run. */
  | "cannot-run"
  /** Inputs that do not fit the model's inputs. */
  | "invalid-argument";

/** An error from `@kerastore/tflite-lowering`. */
export class TfliteLoweringError extends KerastoreError<TfliteLoweringErrorCode> {
  constructor(code: TfliteLoweringErrorCode, message: string, options?: KerastoreErrorOptions) {
    super(code, message, options);
  }
}
