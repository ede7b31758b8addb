import type { JsonObject, SavedModelData, SavedNode } from "@kerastore/core";

/**
 * A tf.keras 2 Sequential of `layers` Dense `width`x`width` (relu) as a saved tree, the weights
 * filled sparsely: what `tf.keras` 2's model.save("m.h5") holds for such a model, written by
 * the legacy H5 writer without building it (a 100M-parameter model in seconds).
 */
export function denseSequentialTree(layers: number, width: number): SavedModelData {
  const children: { name: string; node: SavedNode }[] = [];
  const configs: JsonObject[] = [];
  for (let i = 0; i < layers; i++) {
    const name = `dense_${i}`;
    const kernel = new Float32Array(width * width);
    for (let j = 0; j < kernel.length; j += 97) kernel[j] = ((i + j) % 13) / 1300;
    const variable = (v: string, shape: number[], data: Float32Array) => ({
      name: v,
      path: `${name}/${v}`,
      trainable: true,
      value: { dtype: "float32" as const, shape, data },
    });
    children.push({
      name,
      node: {
        className: "Dense",
        name,
        variables: [variable("kernel", [width, width], kernel), variable("bias", [width], new Float32Array(width))],
        children: [],
      },
    });
    const config: JsonObject = {
      name,
      trainable: true,
      dtype: "float32",
      units: width,
      activation: "relu",
      use_bias: true,
      kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
      bias_initializer: { class_name: "Zeros", config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    };
    if (i === 0) config["batch_input_shape"] = [null, width];
    configs.push({ class_name: "Dense", config });
  }
  return {
    root: { className: "Sequential", name: "big", variables: [], children },
    modelConfig: { class_name: "Sequential", config: { name: "big", layers: configs } },
    kerasVersion: "2.15.0",
    backend: "tensorflow",
  };
}
