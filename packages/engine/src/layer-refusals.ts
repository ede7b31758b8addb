import { type JsonObject, cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";

// Layers whose whole computation is Python code held in the file (marshalled bytecode, or the
// name of a TensorFlow op called from Python): no built-in class can stand for them.
const PYTHON_CODE_LAYERS: ReadonlySet<string> = new Set([
  "Lambda",
  "TFOpLambda",
  "TensorFlowOpLayer",
  "SlicingOpLambda",
]);

/** Whether a layer class name is one of the Keras layers that are Python code. */
export function isPythonCodeLayer(className: string): boolean {
  return PYTHON_CODE_LAYERS.has(className);
}

/** The error for a Python-code layer (Lambda, TFOpLambda, ...) no custom object replaces. */
export function pythonCodeLayerError(className: string): EngineError {
  const what =
    className === "Lambda"
      ? "a Keras Lambda layer is a Python function saved with the model"
      : `Keras layer ${className} is a TensorFlow operation that tf.keras recorded from Python code (tf.* / tensor methods called on Keras tensors)`;
  return new EngineError(
    "unsupported",
    cannot(
      "deserialize",
      `layer class "${className}"`,
      `${what}, and Kerastore never runs Python code`,
      `write the computation as a custom layer class and pass it in customObjects under "${className}" (or rebuild the model in Python with built-in layers or a registered custom layer, and save it again)`,
    ),
  );
}

// Config keys only Keras 1 wrote (Keras 2 renamed them: units, filters, kernel_initializer, padding, ...).
const KERAS1_KEYS: readonly string[] = [
  "nb_filter",
  "nb_row",
  "nb_col",
  "border_mode",
  "subsample",
  "init",
  "inner_init",
  "W_regularizer",
  "b_regularizer",
  "W_constraint",
  "b_constraint",
  "dim_ordering",
  "subsample_length",
  "filter_length",
];

// Layer classes only Keras 1 had (Keras 2 removed them).
const KERAS1_CLASSES: ReadonlySet<string> = new Set([
  "Merge",
  "MaxoutDense",
  "Highway",
  "TimeDistributedDense",
  "AtrousConvolution1D",
  "AtrousConvolution2D",
]);

/** The Keras 1 config key a layer config carries (Dense's `output_dim`, `nb_filter`, `border_mode`, `init`, ...), if any. */
export function keras1Key(className: string, config: JsonObject): string | undefined {
  for (const key of KERAS1_KEYS) if (key in config) return key;
  // Embedding keeps `output_dim` in Keras 2 and 3; Dense and the recurrent layers renamed it `units`.
  if ("output_dim" in config && !("units" in config) && className !== "Embedding") return "output_dim";
  return undefined;
}

/** Whether a `keras_version` string is Keras 1's (`1.2.2`). */
export function isKeras1Version(version: string | undefined): boolean {
  return version !== undefined && /^1\./.test(version.trim());
}

/** The error for a file Keras 1 wrote, found by its keras_version or by a config key. */
export function keras1Error(subject: string, evidence: string): EngineError {
  return new EngineError(
    "unsupported",
    cannot(
      "deserialize",
      subject,
      `it was written by Keras 1 (${evidence}), whose configs and weight layouts Kerastore does not read`,
      "load it in Keras 2.x (tf.keras 2 converts Keras 1 configs) and save it again as .h5 or .keras",
    ),
  );
}

/** Throws when a layer config is Keras 1's. */
export function refuseKeras1Config(className: string, config: JsonObject, name: unknown): void {
  if (KERAS1_CLASSES.has(className))
    throw keras1Error(`layer class "${className}"`, `${className} is a Keras 1 layer class`);
  const key = keras1Key(className, config);
  if (key === undefined) return;
  const label = typeof name === "string" ? `layer "${name}" (${className})` : `a ${className} layer`;
  throw keras1Error(label, `its config has the Keras 1 key "${key}"`);
}

/** Throws when a model's keras_version says Keras 1 wrote it. */
export function refuseKeras1Version(version: string | undefined, where: string): void {
  if (isKeras1Version(version)) throw keras1Error(where, `keras_version "${version}"`);
}
