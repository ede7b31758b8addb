import { isJsonObject, type JsonObject, type JsonValue } from "@kerastore/core";
import type { InspectTensor } from "./inspect-report.js";

/**
 * A model's inputs (name, shape, dtype) read from its config, without building it: a functional
 * model's input layers, a Sequential's InputLayer (Keras 3) or first layer's `batch_input_shape`
 * (Keras 2), else its `build_config`. Empty when the config does not say (a subclassed model).
 */
export function inputsOf(envelope: JsonObject | undefined): InspectTensor[] {
  const config = isJsonObject(envelope?.config) ? envelope.config : undefined;
  if (config === undefined) return [];
  const layers = Array.isArray(config.layers) ? config.layers.filter(isJsonObject) : [];
  const nameOf = (l: JsonObject) =>
    typeof l.name === "string"
      ? l.name
      : isJsonObject(l.config) && typeof l.config.name === "string"
        ? l.config.name
        : "";
  const refs = Array.isArray(config.input_layers) ? config.input_layers : undefined;
  if (refs !== undefined) {
    // [name, node, tensor] or a list of them (Keras 2 writes a list; Keras 3 one ref for one input).
    const list = (refs.length > 0 && typeof refs[0] === "string" ? [refs] : refs) as JsonValue[];
    return list.flatMap((ref) => {
      const name = Array.isArray(ref) && typeof ref[0] === "string" ? ref[0] : undefined;
      const layer = layers.find((l) => nameOf(l) === name);
      return layer === undefined ? [] : [tensorOf(name!, layer.config)];
    });
  }
  const first = layers[0];
  if (first !== undefined && isJsonObject(first.config)) {
    const c = first.config;
    if (first.class_name === "InputLayer") return [tensorOf(nameOf(first), c)];
    // Keras 2 names a Sequential's implicit input after its first layer.
    if (Array.isArray(c.batch_input_shape) || Array.isArray(c.batch_shape))
      return [tensorOf(`${nameOf(first)}_input`, c)];
  }
  const build = isJsonObject(envelope?.build_config) ? envelope.build_config : undefined;
  if (build !== undefined && Array.isArray(build.input_shape)) {
    return [
      {
        name: "input",
        dtype: "float32",
        shape: (build.input_shape as JsonValue[]).map((d) => (typeof d === "number" ? d : null)),
      },
    ];
  }
  return [];
}

function tensorOf(name: string, config: JsonValue | undefined): InspectTensor {
  const c = isJsonObject(config) ? config : {};
  const shape = Array.isArray(c.batch_shape)
    ? c.batch_shape
    : Array.isArray(c.batch_input_shape)
      ? c.batch_input_shape
      : undefined;
  const dtype =
    typeof c.dtype === "string"
      ? c.dtype
      : isJsonObject(c.dtype) && isJsonObject(c.dtype.config) && typeof c.dtype.config.name === "string"
        ? c.dtype.config.name
        : "float32";
  return { name, dtype, shape: shape === undefined ? null : shape.map((d) => (typeof d === "number" ? d : null)) };
}
