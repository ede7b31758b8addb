import { readFileSync } from "node:fs";
import { join } from "node:path";
import { realworld } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { readKerasH5 } from "./node.js";

const rw = realworld();

/** file → [kind, keras version, backend, layer count, weight count, first weight path + shape]. */
const EXPECTED: Record<string, [string, string, string, number, number, string]> = {
  "A-I-nstein__mnist_cnn__cnn_model.h5": ["legacy-model", "2.6.0", "tensorflow", 9, 10, "conv2d/kernel [3,3,1,32]"],
  "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5": [
    "legacy-model",
    "2.8.0",
    "tensorflow",
    4,
    11,
    "lstm/lstm_cell/kernel [33,512]",
  ],
  "Aaronvpp__LSTM-Name-Classification__model.h5": [
    "legacy-weights",
    "2.8.0",
    "tensorflow",
    4,
    11,
    "lstm/lstm_cell/kernel [33,512]",
  ],
  "AdamVenroy__sentiment-classifer__model.keras": [
    "legacy-model",
    "2.11.0",
    "tensorflow",
    5,
    3,
    "embedding/embeddings [10000,16]",
  ],
  "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5": [
    "legacy-model",
    "3.13.2",
    "tensorflow",
    16,
    24,
    "sequential_1/conv2d/kernel [3,3,1,32]",
  ],
  "Dobiasd__frugally-deep__temp_stateful.h5": ["legacy-model", "2.2.4-tf", "tensorflow", 3, 2, "gru_1/kernel [1,3]"],
  "HsinM__mnist-NCS__model.h5": ["legacy-model", "2.1.6", "tensorflow", 10, 10, "conv2d_1/kernel [3,3,1,16]"],
  "HsinM__mnist-NCS__weights.h5": ["legacy-weights", "2.1.6", "tensorflow", 10, 10, "conv2d_1/kernel [3,3,1,16]"],
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.h5": [
    "legacy-model",
    "2.15.0",
    "tensorflow",
    4,
    4,
    "dense_8/kernel [512,64]",
  ],
  "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5": [
    "legacy-model",
    "2.1.3",
    "theano",
    1,
    2,
    "conv2d_1/kernel [3,3,5,6]",
  ],
  "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5": [
    "legacy-model",
    "2.0.6",
    "tensorflow",
    2,
    5,
    "lstm_1/kernel [1,200]",
  ],
  "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5": [
    "legacy-model",
    "2.1.3",
    "tensorflow",
    2,
    5,
    "simple_rnn_1/kernel [1,50]",
  ],
  "SciSharp__Keras.NET__model.h5": ["legacy-model", "2.2.4-tf", "tensorflow", 4, 0, ""],
  "VKapitany__CNN_Introduction__mnist_cnn.h5": [
    "legacy-model",
    "2.3.1",
    "tensorflow",
    8,
    8,
    "conv2d_1/kernel [3,3,1,32]",
  ],
  "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5": [
    "legacy-weights",
    "2.0.8",
    "tensorflow",
    13,
    24,
    "fc1_relu/kernel [16,64]",
  ],
};

describe.skipIf(!rw.dir)(`every real-world H5 file parses (skipped when: ${rw.missing ?? "never"})`, () => {
  for (const [file, [kind, version, backend, layers, weights, first]] of Object.entries(EXPECTED)) {
    it(file, async () => {
      const result = await readKerasH5(new Uint8Array(readFileSync(join(rw.dir!, file))), { name: file });
      expect(result.kind).toBe(kind);
      expect(result.data.kerasVersion).toBe(version);
      expect(result.data.backend).toBe(backend);
      const layerEdges = result.data.root.children.filter((e) => e.name !== "optimizer");
      expect(layerEdges).toHaveLength(layers);
      const all = layerEdges.flatMap((e) => e.node.variables);
      expect(all).toHaveLength(weights);
      if (all[0]) expect(`${all[0].path} [${all[0].value.shape}]`).toBe(first);
      for (const v of all) expect(v.value.data.length).toBe(v.value.shape.reduce((a, b) => a * b, 1));
    });
  }
  it("refuses an HDF5 file that is not Keras, naming it", async () => {
    const file = "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_inputs_and_outputs.h5";
    await expect(readKerasH5(new Uint8Array(readFileSync(join(rw.dir!, file))), { name: file })).rejects.toMatchObject({
      code: "not-keras",
      path: file,
    });
  });
  it("refuses a .keras zip as not HDF5", async () => {
    const file = "Aman-21k__cnn-fashion-mnist-classifier__model.keras";
    await expect(readKerasH5(new Uint8Array(readFileSync(join(rw.dir!, file))), { name: file })).rejects.toMatchObject({
      code: "not-hdf5",
    });
  });
});
