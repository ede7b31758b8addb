import type { JsonObject } from "@kerastore/core";
import type { Layer } from "./layer.js";

/**
 * Whether a layer's Keras `call` takes its inputs as separate arguments (MultiHeadAttention's
 * `call(query, value, key=None)`) rather than one tensor or a list: its class sets
 * `static spreadInputs = true`, and the engine passes it the list `[query, value, key?]`.
 */
export function spreadsInputs(layer: Layer): boolean {
  return (layer.constructor as unknown as { spreadInputs?: boolean }).spreadInputs === true;
}

/** A call node of such a layer as Keras 3 writes `layer(query, value[, key])`: each tensor positional. */
export function spreadNode(tensors: JsonObject[], kwargs: JsonObject): JsonObject {
  return { args: tensors, kwargs };
}
