// docs/tfjs.md: a Keras model converted to the TensorFlow.js Layers format (model.json + weight
// shards), as `tensorflowjs_converter --input_format keras` writes it; the real tfjs-layers
// loads it and predicts what Kerastore's model predicts; uint8 weights are a quarter of the
// size; and the directory loads back into Kerastore as a Keras model.
import { ok } from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { Conv2D, MaxPooling2D } from "@kerastore/engine";
import { kerastoreFormats } from "@kerastore/tfjs-layers-format";
import * as tf from "@tensorflow/tfjs";
import { builtinFormats, createFormatRegistry, keras } from "kerastore";
import { assertAllClose, random } from "./support.js";

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const inputs = keras.Input({ shape: [28, 28, 1], name: "image" });
    let x = new Conv2D({ filters: 8, kernelSize: 3, activation: "relu" }).apply(inputs);
    x = new MaxPooling2D({ poolSize: 2 }).apply(x);
    x = new keras.layers.Flatten().apply(x);
    const outputs = new keras.layers.Dense({ units: 10, activation: "softmax" }).apply(x);
    const model = new keras.Model({ inputs, outputs });

    // The plug-in's formats beside the built-in ones.
    const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
    await model.save(join(dir, "web_model"), { formats, format: "tfjs" });
    await model.save(join(dir, "web_model_uint8"), { formats, format: "tfjs", settings: { quantization: "uint8" } });
    ok((await readdir(join(dir, "web_model"))).includes("group1-shard1of1.bin"));
    const size = async (d: string) => (await stat(join(dir, d, "group1-shard1of1.bin"))).size;
    ok((await size("web_model_uint8")) * 4 === (await size("web_model")));

    // The real tfjs-layers reads it as it reads the converter's output.
    const fetchFunc = async (url: string | URL | Request) => new Response(await readFile(String(url)));
    const webModel = await tf.loadLayersModel(tf.io.http(join(dir, "web_model", "model.json"), { fetchFunc }));
    const image = random([1, 28, 28, 1], 1);
    const theirs = webModel.predict(tf.tensor(image.data as Float32Array, [1, 28, 28, 1])) as tf.Tensor;
    const ours = model.predict(image) as HostTensor;
    assertAllClose({ dtype: "float32", shape: theirs.shape, data: Float32Array.from(theirs.dataSync()) }, ours, 1e-5);

    // And back into Kerastore: a Keras model again.
    const back = await keras.models.loadModel(join(dir, "web_model"), { formats });
    assertAllClose(back.predict(image) as HostTensor, ours, 1e-6);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
