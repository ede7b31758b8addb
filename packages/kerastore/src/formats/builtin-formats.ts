import { checkpointFormat } from "./checkpoint-format.js";
import type { ModelFormat } from "./format.js";
import { createFormatRegistry, type FormatRegistry } from "./format-registry.js";
import { legacyH5Format, weightsH5Format } from "./h5-formats.js";
import { jsonFormat } from "./json-format.js";
import { kerasFormat } from "./keras-format.js";
import { savedModelFormat } from "./savedmodel-format.js";
import { shardedWeightsFormat } from "./sharded-weights-format.js";
import { tfliteFormat } from "./tflite-format.js";

/**
 * The formats Kerastore ships, in the order detection tries them. They are plain values, added
 * to a registry exactly as a user's formats are.
 */
export const builtinFormats: readonly ModelFormat[] = [
  kerasFormat,
  legacyH5Format,
  weightsH5Format,
  shardedWeightsFormat,
  jsonFormat,
  checkpointFormat,
  savedModelFormat,
  tfliteFormat,
];

/** A new registry holding the built-in formats; add your own with `registry.add(format)`. */
export function defaultFormatRegistry(): FormatRegistry {
  return createFormatRegistry(builtinFormats);
}
