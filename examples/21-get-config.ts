// The guide's config round trips (层示例 / Sequential 模型示例 / 函数式模型示例, and to_json /
// model_from_json): get_config, from_config, and the JSON text of a model.
import { deepStrictEqual } from "node:assert/strict";
// examples/package.json does not list @kerastore/engine yet, so the engine comes from its source.
import { Dense, Input, Model, Sequential, clearSession, initBackend, modelFromJson, tf } from "@kerastore/engine";

export async function main(): Promise<void> {
  await initBackend();
  clearSession();

  // Layer: layer = keras.layers.Dense(3, activation="relu"); Dense.from_config(layer.get_config())
  const layer = new Dense({ units: 3, activation: "relu" });
  const layerConfig = layer.getConfig();
  deepStrictEqual(Dense.fromConfig(layerConfig).getConfig(), layerConfig);

  // Sequential: keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)])
  const sequential = new Sequential({ layers: [Input({ shape: [32] }), new Dense({ units: 1 })] });
  const sequentialConfig = sequential.getConfig();
  deepStrictEqual(Sequential.fromConfig(sequentialConfig).getConfig(), sequentialConfig);

  // Functional: keras.Model(inputs, outputs) with Input((32,)) and Dense(1)
  const inputs = Input({ shape: [32] });
  const model = new Model({ inputs, outputs: new Dense({ units: 1 }).apply(inputs) });
  const config = model.getConfig();
  deepStrictEqual(Model.fromConfig(config).getConfig(), config);

  // to_json / model_from_json: same architecture; weights are not part of it.
  const json = model.toJson();
  const rebuilt = modelFromJson(json);
  deepStrictEqual(JSON.parse(rebuilt.toJson()), JSON.parse(json));
  rebuilt.setWeights(model.getWeights());
  const x = tf.randomNormal([4, 32]);
  deepStrictEqual(Array.from(rebuilt.apply(x).dataSync()), Array.from(model.apply(x).dataSync()));
}
