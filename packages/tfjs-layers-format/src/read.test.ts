import { type HostTensor, type MemoryStore, hostTensor, joinPath, utf8Encode } from "@kerastore/core";
import { fixturePath, modelFixtures, readFixtureNpy } from "@kerastore/fixtures";
import { builtinFormats, createFormatRegistry, keras, loadModel, saveModel } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { kerastoreFormats, tfjsLayersFormat } from "./index.js";
import { expectOutputsClose, memoryStore, predictInTfjs, tf } from "./tfjs-test-support.test-util.js";

const formats = () => createFormatRegistry([...builtinFormats, ...kerastoreFormats]);

beforeAll(() => keras.ready());

/** Saves a tfjs-layers model the way tfjs-layers itself does, into a store as model.json + one weights file. */
async function saveFromTfjs(model: tf.LayersModel, store: MemoryStore, dir: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes =
        data === undefined
          ? new Uint8Array(0)
          : new Uint8Array(Array.isArray(data) ? await new Blob(data).arrayBuffer() : data);
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      await store.write(joinPath(dir, "model.json"), utf8Encode(JSON.stringify(json)));
      await store.write(joinPath(dir, "weights.bin"), bytes);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}

function seeded(shape: number[], seed: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 - 0.5;
  }
  return hostTensor("float32", shape, data);
}

describe("models tfjs-layers 4.22 saved itself (model.save(tf.io.withSaveHandler(...)))", () => {
  const builders: Record<string, () => { model: tf.LayersModel; input: number[] }> = {
    "dense mlp": () => ({
      model: tf.sequential({
        layers: [
          tf.layers.dense({ units: 7, activation: "relu", inputShape: [5] }),
          tf.layers.dense({ units: 3, activation: "softmax" }),
        ],
      }),
      input: [4, 5],
    }),
    "conv + batchnorm + pooling": () => ({
      model: tf.sequential({
        layers: [
          tf.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 2], padding: "same" }),
          tf.layers.batchNormalization(),
          tf.layers.maxPooling2d({ poolSize: 2 }),
          tf.layers.separableConv2d({ filters: 3, kernelSize: 2, activation: "elu" }),
          tf.layers.depthwiseConv2d({ kernelSize: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2 }),
        ],
      }),
      input: [2, 8, 8, 2],
    }),
    "recurrent (LSTM with tfjs's default hard_sigmoid, GRU, Bidirectional, TimeDistributed)": () => ({
      model: tf.sequential({
        layers: [
          tf.layers.lstm({ units: 4, returnSequences: true, inputShape: [6, 3] }),
          tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true }) as tf.RNN }),
          tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) }),
          tf.layers.simpleRNN({ units: 2 }),
        ],
      }),
      input: [2, 6, 3],
    }),
    "a model nested in a model": () => {
      const innerIn = tf.input({ shape: [4] });
      const inner = tf.model({
        inputs: innerIn,
        outputs: tf.layers.dense({ units: 3, activation: "relu" }).apply(innerIn) as tf.SymbolicTensor,
        name: "inner",
      });
      const x = tf.input({ shape: [4] });
      const y = tf.layers.dense({ units: 2 }).apply(inner.apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
      return { model: tf.model({ inputs: x, outputs: y }), input: [3, 4] };
    },
    "functional with two inputs and a merge": () => {
      const a = tf.input({ shape: [4], name: "a" });
      const b = tf.input({ shape: [4], name: "b" });
      const shared = tf.layers.dense({ units: 3, activation: "tanh", name: "shared" });
      const sum = tf.layers
        .add()
        .apply([shared.apply(a) as tf.SymbolicTensor, shared.apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor;
      const out = tf.layers.dense({ units: 2, name: "head" }).apply(sum) as tf.SymbolicTensor;
      return { model: tf.model({ inputs: [a, b], outputs: out }), input: [3, 4] };
    },
  };

  for (const [name, build] of Object.entries(builders)) {
    it(`${name}: Kerastore loads it and predicts what tfjs-layers predicts`, async () => {
      const { model, input } = build();
      // Weights that are not the initial ones, so that loading them is what is checked.
      model.setWeights(
        model.getWeights().map((w, i) => tf.tensor(seeded(w.shape, i + 7).data as Float32Array, w.shape)),
      );
      const store = memoryStore();
      await saveFromTfjs(model, store, "from_tfjs");
      const inputs = model.inputs.map((_, i) => seeded(input, 100 + i));
      const expected = predictInTfjs(model, inputs);
      const loaded = await loadModel({ store, path: "from_tfjs" }, { formats: formats() });
      const out = loaded.predict(inputs.length === 1 ? inputs[0]! : inputs);
      expectOutputsClose(Array.isArray(out) ? out[0]! : out, expected[0]!, {}, name);
    });
  }

  it("a directory holding a tfjs model.json is found by content", async () => {
    const { model } = builders["dense mlp"]!();
    const store = memoryStore();
    await saveFromTfjs(model, store, "web");
    const registry = formats();
    expect((await registry.detect({ store, path: "web" })).name).toBe("tfjs");
    expect((await registry.detect({ store, path: "web/model.json" })).name).toBe("tfjs");
  });
});

describe("Kerastore reads back what it wrote", () => {
  for (const name of ["mlp_sequential", "conv", "embedding", "lstm", "simple_rnn", "nested", "shared_layer"]) {
    it(`${name}: same predictions after .keras -> tfjs -> Kerastore`, async () => {
      const fixture = modelFixtures().find((f) => f.name === name)!;
      const model = await loadModel(fixturePath("models", name, "model.keras"));
      const store = memoryStore();
      await saveModel(model, { store, path: "web_model" }, { format: "tfjs", formats: formats() });
      const back = await loadModel({ store, path: "web_model" }, { formats: formats() });
      const inputs = Array.from({ length: fixture.inputs }, (_, i) => readFixtureNpy("models", name, `input${i}.npy`));
      const out = back.predict(inputs.length === 1 ? inputs[0]! : inputs);
      expectOutputsClose(Array.isArray(out) ? out[0]! : out, readFixtureNpy("models", name, "output0.npy"));
    });
  }

  it("a compiled model's training config travels in modelTopology.training_config, as the converter writes it", async () => {
    const model = await loadModel(fixturePath("models", "mlp_sequential", "model.keras"));
    model.compile({ optimizer: "adam", loss: "mse", metrics: ["mae"] });
    const store = memoryStore();
    await saveModel(model, { store, path: "web_model" }, { format: "tfjs", formats: formats() });
    const json = JSON.parse(new TextDecoder().decode(await store.read("web_model/model.json")));
    expect(json.modelTopology.training_config.loss).toBe("mse");
    const read = await tfjsLayersFormat.read({ store, path: "web_model" }, { safeMode: true, onWarning: () => {} });
    expect(read.data.trainingConfig?.["loss"]).toBe("mse");
  });
});
