import { type FormatRegistry, createFormatRegistry } from "./format-registry.js";
import { legacyH5Format, weightsH5Format } from "./h5-formats.js";
import { checkpointFormat } from "./checkpoint-format.js";
import { jsonFormat } from "./json-format.js";
import { kerasFormat } from "./keras-format.js";
import { savedModelFormat } from "./savedmodel-format.js";
import { shardedWeightsFormat } from "./sharded-weights-format.js";
import { tfliteFormat } from "./tflite-format.js";

/** The formats Kerastore ships, in the order detection tries them. */
export const builtinFormats = [kerasFormat, legacyH5Format, weightsH5Format, shardedWeightsFormat, jsonFormat, checkpointFormat, savedModelFormat, tfliteFormat] as const;

/** A new registry holding the built-in formats; add your own with `registry.add(format)`. */
export function defaultFormatRegistry(): FormatRegistry {
  return createFormatRegistry(builtinFormats);
}
