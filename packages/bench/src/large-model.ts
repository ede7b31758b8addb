// The synthetic model of the large-model benchmark: a Sequential of Dense(8192) layers whose
// float32 kernels (256 MiB each) all view one buffer, so a 6 GiB model costs 256 MiB to hold
// while its files are written. Each layer's bias is filled with its index, so a load that
// pairs the wrong bytes with a layer is caught.
import type { JsonObject, SavedModelData, SavedNode } from "@kerastore/core";
import { hostTensor } from "@kerastore/core";

export const UNITS = 8192;
/** Bytes of one layer's weights (kernel + bias). */
export const LAYER_BYTES = UNITS * UNITS * 4 + UNITS * 4;

/** The kernel value at flat index `i` (the same in every layer). */
export function kernelAt(i: number): number {
  return Math.fround(((i * 2654435761) % 1000) / 1000 - 0.5);
}

/** A model of `layers` Dense layers: `layers * LAYER_BYTES` bytes of weights. */
export function largeModel(layers: number): SavedModelData {
  const kernel = new Float32Array(UNITS * UNITS);
  for (let i = 0; i < kernel.length; i++) kernel[i] = kernelAt(i);
  const children: { name: string; node: SavedNode }[] = [];
  const configs: JsonObject[] = [];
  for (let l = 0; l < layers; l++) {
    const name = l === 0 ? "dense" : `dense_${l}`;
    const config: JsonObject = {
      name,
      trainable: true,
      dtype: "float32",
      units: UNITS,
      activation: "linear",
      use_bias: true,
    };
    configs.push({
      module: "keras.layers",
      class_name: "Dense",
      config,
      registered_name: null,
      build_config: { input_shape: [null, UNITS] },
    });
    children.push({
      name,
      node: {
        className: "Dense",
        name,
        config,
        variables: [
          {
            name: "kernel",
            path: `${name}/kernel`,
            trainable: true,
            value: hostTensor("float32", [UNITS, UNITS], kernel),
          },
          {
            name: "bias",
            path: `${name}/bias`,
            trainable: true,
            value: hostTensor("float32", [UNITS], new Float32Array(UNITS).fill(l)),
          },
        ],
        children: [],
      },
    });
  }
  const inputLayer: JsonObject = {
    module: "keras.layers",
    class_name: "InputLayer",
    config: { batch_shape: [null, UNITS], dtype: "float32", sparse: false, name: "input_layer" },
    registered_name: null,
  };
  const config: JsonObject = { name: "large", trainable: true, dtype: "float32", layers: [inputLayer, ...configs] };
  const envelope: JsonObject = {
    module: "keras",
    class_name: "Sequential",
    config,
    registered_name: null,
    build_config: { input_shape: [null, UNITS] },
  };
  return {
    root: { className: "Sequential", name: "large", config, variables: [], children },
    modelConfig: envelope,
    kerasVersion: "3.15.1",
  };
}
