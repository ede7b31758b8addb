export { TfliteLoweringError, type TfliteLoweringErrorCode } from "./errors.js";
export { type TfliteConvertOptions, lowerToTflite } from "./lower-model.js";
export { LAYER_LOWERINGS } from "./lower-layers.js";
export { type TfliteRunner, type TfliteInput, createTfliteRunner } from "./run-tflite.js";
