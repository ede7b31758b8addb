import { KerastoreError } from "@kerastore/core";

/** Why the TensorFlow.js Layers format refused a read or a write. */
export type TfjsFormatErrorCode =
  /** The model holds layers or configs tfjs-layers cannot read (each one is named). */
  | "unsupported-by-tfjs"
  /** model.json or a weight shard is not what the format says it should be. */
  | "bad-model-json"
  | "bad-weights"
  /** An option given to the writer is out of range. */
  | "bad-option"
  /** The file system refused a write (the Node entry's directory writer). */
  | "io";

/** The errors of `@kerastore/tfjs-layers-format`. */
export class TfjsFormatError extends KerastoreError<TfjsFormatErrorCode> {}
