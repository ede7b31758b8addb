import { cannot } from "@kerastore/core";
import { deserializeLayer } from "./deserialize.js";
import { EngineError } from "./errors.js";
import type { FromConfigContext } from "./keras-object.js";
import { Model } from "./model.js";

/**
 * A new model of the same architecture and config with fresh weights, as `keras.models.clone_model`
 * does. Custom layer classes and functions come from `ctx.customObjects` (or an open
 * customObjectScope).
 */
export function cloneModel(model: Model, ctx: FromConfigContext = {}): Model {
  const clone = deserializeLayer(model.toConfig(), ctx);
  if (!(clone instanceof Model)) {
    throw new EngineError(
      "invalid-config",
      cannot("clone", `model "${model.name}"`, `its config rebuilt a ${clone.className}`),
    );
  }
  clone.compileConfig = { ...model.compileConfig };
  return clone;
}
