import { type JsonObject, isJsonObject } from "@kerastore/core";
import type { Registry } from "@kerastore/registry";
import { EngineError } from "./errors.js";
import type { CustomObjects } from "./keras-object.js";
import type { Model } from "./model.js";
import { compileOptionsFromConfig } from "./training/compile.js";

/** Options of {@link compileFromSaved}. */
export interface CompileFromSavedOptions {
  /** Custom losses and metrics the config names. */
  readonly customObjects?: CustomObjects | undefined;
  /** Where registered losses and metrics are looked up after `customObjects`. */
  readonly registry?: Pick<Registry, "get"> | undefined;
  /** Called with the reason when the config cannot be compiled (Keras warns and goes on). */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** True for a Keras 2 `training_config` (`optimizer_config`), false for a Keras 3 `compile_config`. */
export function isKeras2TrainingConfig(config: JsonObject): boolean {
  return "optimizer_config" in config && !("optimizer" in config);
}

/**
 * Compiles a model from the compile information a file holds, as `load_model(compile=True)`
 * does: a Keras 3 `compile_config` or a Keras 2 `training_config` (converted: the model's
 * `compileConfig` is then Keras 3's, derived from the compiled state).
 *
 * A config naming a loss, metric or optimizer that is not known leaves the model uncompiled,
 * as Keras does (with a warning); a Keras 3 config is then kept as it is, to be saved again.
 * Returns whether the model is compiled.
 */
export function compileFromSaved(model: Model, config: JsonObject, options: CompileFromSavedOptions = {}): boolean {
  try {
    const compileOptions = compileOptionsFromConfig(config);
    model.compile({ ...compileOptions, customObjects: options.customObjects, registry: options.registry });
    return true;
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    options.onWarning?.(`the model was not compiled: ${error.message}`);
    model.compileConfig = isKeras2TrainingConfig(config) || !isJsonObject(config.optimizer) ? {} : config;
    return false;
  }
}
