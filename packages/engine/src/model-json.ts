import { type JsonValue, cannot } from "@kerastore/core";
import { deserializeLayer } from "./deserialize.js";
import { EngineError } from "./errors.js";
import type { FromConfigContext } from "./keras-object.js";
import { Model } from "./model.js";

/**
 * A model from `model.toJson()` text (Keras's `model_from_json`), or from an already parsed
 * envelope. Keras 2 JSON reads too; pass `kerasVersion: 2` for Keras 2 definitions.
 */
export function modelFromJson(json: string | JsonValue, ctx: FromConfigContext = {}): Model {
  let parsed: JsonValue;
  try {
    parsed = typeof json === "string" ? (JSON.parse(json) as JsonValue) : json;
  } catch (cause) {
    throw new EngineError(
      "invalid-config",
      cannot("read", "model JSON", `it is not JSON (${(cause as Error).message})`),
      { cause },
    );
  }
  const model = deserializeLayer(parsed, ctx);
  if (!(model instanceof Model)) {
    // A layer refused frees what it allocated.
    model.dispose();
    throw new EngineError(
      "invalid-config",
      cannot("read", "model JSON", `it describes a ${model.className} layer, not a model`),
    );
  }
  return model;
}
