import { type JsonValue, isJsonObject } from "@kerastore/core";

/** One thing in a config that `safeMode` refuses. */
export interface UnsafeConfigFinding {
  /** Where it is, as a JSON path (`config.layers[2].config.function`). */
  readonly at: string;
  /** What it is and why it is refused. */
  readonly reason: string;
  /**
   * Python code (a lambda's bytecode, a pickled module): nothing in Kerastore can run it, so
   * turning safe mode off cannot load it either, only a replacement in customObjects can.
   */
  readonly pythonCode?: boolean | undefined;
}

/**
 * What to tell the user after refusing `findings`: `{ safeMode: false }` only when something
 * could then run what was refused. Python code never runs here: for it, the fix is a
 * replacement class given in customObjects (`replaced`: the user gave one).
 */
export function safeModeHint(findings: readonly UnsafeConfigFinding[], replaced = false): string {
  if (findings.some((f) => f.pythonCode === true) && !replaced) {
    return "Kerastore never runs Python code, whatever safe mode says: write the function as a custom layer and pass it in customObjects (as Lambda)";
  }
  return "if you trust the file's source, pass { safeMode: false }";
}

// Keras refuses these `module.name` functions during deserialization whatever the mode:
// they touch files or the process, not the model.
const NON_MODELING_APIS: ReadonlySet<string> = new Set([
  "keras.backend.clear_session",
  "keras.config.enable_unsafe_deserialization",
  "keras.models.load_model",
  "keras.models.model_from_json",
  "keras.models.save_model",
  "keras.preprocessing.image_dataset_from_directory",
  "keras.preprocessing.image.load_img",
  "keras.preprocessing.image.save_img",
  "keras.preprocessing.text_dataset_from_directory",
  "keras.saving.deserialize_keras_object",
  "keras.saving.load_model",
  "keras.saving.load_weights",
  "keras.saving.register_keras_serializable",
  "keras.saving.save_model",
  "keras.saving.save_weights",
  "keras.saving.serialize_keras_object",
  "keras.utils.audio_dataset_from_directory",
  "keras.utils.clear_session",
  "keras.utils.deserialize_keras_object",
  "keras.utils.get_file",
  "keras.utils.image_dataset_from_directory",
  "keras.utils.load_img",
  "keras.utils.register_keras_serializable",
  "keras.utils.save_img",
  "keras.utils.serialize_keras_object",
  "keras.utils.text_dataset_from_directory",
]);

// Layers whose string `vocabulary` is a path read from outside the archive.
const VOCABULARY_FILE_LAYERS: ReadonlySet<string> = new Set([
  "StringLookup",
  "IntegerLookup",
  "TextVectorization",
  "IndexLookup",
]);

const MAX_DEPTH = 1000;

/**
 * Lists everything in a Keras config that would run code or read outside the archive if the
 * model were rebuilt from it: serialized Python lambdas (`__lambda__`, the bytecode Keras
 * `marshal`s), `TFSMLayer` (loads an external SavedModel), `TorchModuleWrapper` with a pickled
 * module, lookup layers whose vocabulary is a file path, and the non-modeling Keras functions
 * Keras itself refuses. Nothing is evaluated; this only reads the JSON.
 *
 * A config nested deeper than 1,000 levels is itself reported: no real model needs it and a
 * recursive consumer could overflow its stack on it.
 */
export function findUnsafeConfig(config: JsonValue): UnsafeConfigFinding[] {
  const found: UnsafeConfigFinding[] = [];
  const stack: { value: JsonValue; at: string; depth: number }[] = [{ value: config, at: "$", depth: 0 }];
  while (stack.length > 0) {
    const { value, at, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) {
      found.push({ at, reason: `the config is nested more than ${MAX_DEPTH} levels deep` });
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i]!, at: `${at}[${i}]`, depth: depth + 1 });
      continue;
    }
    if (!isJsonObject(value)) continue;
    const className = value.class_name;
    const inner = value.config;
    if (className === "__lambda__") {
      found.push({
        at,
        reason: "a serialized Python lambda (`__lambda__`): loading it runs its bytecode",
        pythonCode: true,
      });
    } else if (className === "Lambda" && isJsonObject(inner) && inner.function_type === "lambda") {
      // tf.keras 2 (the .h5 and SavedModel dialect) keeps a lambda as marshalled bytecode in `function`.
      found.push({
        at,
        reason: "a `Lambda` layer holding a marshalled Python lambda: loading it runs its bytecode",
        pythonCode: true,
      });
    } else if (className === "TFSMLayer") {
      found.push({ at, reason: "a `TFSMLayer`: it loads an external SavedModel, which runs its graph" });
    } else if (
      className === "TorchModuleWrapper" &&
      isJsonObject(inner) &&
      inner.module !== undefined &&
      inner.module !== null
    ) {
      found.push({
        at,
        reason: "a `TorchModuleWrapper` holding a pickled torch module: unpickling runs code",
        pythonCode: true,
      });
    } else if (
      typeof className === "string" &&
      VOCABULARY_FILE_LAYERS.has(className) &&
      isJsonObject(inner) &&
      typeof inner.vocabulary === "string"
    ) {
      found.push({
        at,
        reason: `a \`${className}\` whose vocabulary is the file "${inner.vocabulary}" outside the archive`,
      });
    } else if (typeof className === "string" && typeof value.module === "string") {
      const name = className === "function" && typeof inner === "string" ? inner : className;
      const api = `${value.module}.${name}`;
      if (NON_MODELING_APIS.has(api)) found.push({ at, reason: `\`${api}\`, which is not a modeling function` });
    }
    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({
        value: value[key]!,
        at: /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`,
        depth: depth + 1,
      });
    }
  }
  return found;
}
