// The guide's "SavedModel 格式" section: get_model() compiled, trained, saved with the default
// whole-model format (`model.save("my_model")` makes a SavedModel folder), reconstructed with
// `keras.models.load_model("my_model")`, same predictions, and training resumes (the
// reconstructed model comes back compiled, with its optimizer state). The folder holds what the
// guide lists (`assets  saved_model.pb  variables`) plus tf.keras's keras_metadata.pb, and its
// serving signature runs as a plain graph too (`tf.saved_model.load("my_model")`).
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { keras } from "kerastore";
import { assertAllClose, random } from "./support.js";

function getModel() {
  // Create a simple model.
  const inputs = keras.Input({ shape: [32] });
  const outputs = new keras.layers.Dense({ units: 1 }).apply(inputs);
  const model = new keras.Model({ inputs, outputs });
  model.compile({ optimizer: "adam", loss: "mean_squared_error" });
  return model;
}

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const model = getModel();

    // Train the model.
    const testInput = random([128, 32], 1);
    const testTarget = random([128, 1], 2);
    await model.fit(testInput, testTarget, { verbose: 0 });

    // Calling `save('my_model')` creates a SavedModel folder `my_model`.
    const myModel = join(dir, "my_model");
    await model.save(myModel);
    deepStrictEqual((await readdir(myModel)).sort(), ["assets", "keras_metadata.pb", "saved_model.pb", "variables"]);
    deepStrictEqual((await readdir(join(myModel, "variables"))).sort(), [
      "variables.data-00000-of-00001",
      "variables.index",
    ]);

    // It can be used to reconstruct the model identically.
    const reconstructedModel = await keras.models.loadModel(myModel);

    // Let's check:
    assertAllClose(model.predict(testInput) as HostTensor, reconstructedModel.predict(testInput) as HostTensor);

    // The same folder as a plain graph (the guide's tensorflow_graph = tf.saved_model.load("my_model");
    // predicted = tensorflow_graph(x)): the root's __call__, and the serving signature.
    const tensorflowGraph = await keras.savedModel.load(myModel);
    const x = random([4, 32], 3);
    const predicted = (await tensorflowGraph.functions["__call__"]!(x)) as HostTensor;
    assertAllClose(predicted, reconstructedModel.predict(x) as HostTensor, 1e-5);
    const [inputName] = Object.keys(tensorflowGraph.info.signatures["serving_default"]!.inputs);
    const served = await tensorflowGraph.signatures["serving_default"]!({ [inputName!]: x });
    assertAllClose(served["output_0"]!, predicted, 1e-6);
    tensorflowGraph.dispose();

    // The reconstructed model is already compiled and has retained the optimizer state, so
    // training can resume: one more epoch on both gives the same weights.
    strictEqual(reconstructedModel.optimizer?.iterations, model.optimizer?.iterations);
    await model.fit(testInput, testTarget, { verbose: 0, shuffle: false });
    await reconstructedModel.fit(testInput, testTarget, { verbose: 0, shuffle: false });
    assertAllClose(reconstructedModel.getWeights()[0]!, model.getWeights()[0]!, 1e-5);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
