import { type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import {
  type ActivationInfo,
  type Layer,
  Model,
  changedDefinition,
  deserializeLayer,
  serializeLayer,
} from "@kerastore/engine";
import { TfliteLoweringError } from "./errors.js";

/** True when a layer (or one it tracks) computes Keras 2's definition of an activation Keras 3 changed. */
function usesKeras2(layer: Layer, depth = 0): boolean {
  const own = layer as unknown as { activation?: ActivationInfo; recurrentActivation?: ActivationInfo };
  for (const a of [own.activation, own.recurrentActivation])
    if (a !== undefined && changedDefinition(a) === 2) return true;
  return depth < 8 && layer.trackedLayers.some((l) => usesKeras2(l, depth + 1));
}

function patchInputs(json: JsonValue, shapes: ReadonlyMap<string, readonly number[]>, depth = 0): void {
  if (depth > 64) return;
  if (Array.isArray(json)) {
    for (const v of json) patchInputs(v, shapes, depth + 1);
    return;
  }
  if (!isJsonObject(json)) return;
  const config = json.config;
  if (json.class_name === "InputLayer" && isJsonObject(config) && typeof config.name === "string") {
    const shape = shapes.get(config.name);
    if (shape !== undefined) {
      config.batch_shape = [...shape];
      delete config.batch_input_shape;
    }
  }
  for (const v of Object.values(json)) patchInputs(v, shapes, depth + 1);
}

/**
 * The model rebuilt with its inputs fixed to `shapes` (batch included) and the same weights,
 * so that every layer's output has static sizes: a sequence model built for any length
 * becomes one of the given length, as Python's converter fixes it from a concrete signature.
 */
export function withInputShapes(model: Model, shapes: readonly (readonly number[])[]): Model {
  if (shapes.length !== model.inputs.length) {
    throw new TfliteLoweringError(
      "invalid-argument",
      cannot(
        "convert",
        `model "${model.name}" to TFLite`,
        `${shapes.length} input shapes given, it has ${model.inputs.length} inputs`,
      ),
    );
  }
  const byName = new Map(model.inputs.map((t, i) => [t.history.layer.name, shapes[i]!] as const));
  const json = serializeLayer(model);
  patchInputs(json, byName);
  const rebuilt = deserializeLayer(json, { kerasVersion: usesKeras2(model) ? 2 : 3 });
  if (!(rebuilt instanceof Model))
    throw new TfliteLoweringError(
      "invalid-model",
      cannot("convert", `model "${model.name}" to TFLite`, "its config does not rebuild as a model"),
    );
  rebuilt.setWeights(model.getWeights());
  return rebuilt;
}
