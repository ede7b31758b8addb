import { keras } from "kerastore";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type JsonValue, readNpy } from "@kerastore/core";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import {
  type FromConfigContext,
  type Layer,
  type Model,
  clearSession,
  deserializeLayer,
  fromSavedModelData,
  initBackend,
  kerasMajor,
  modelFromJson,
  toSavedModelData,
} from "@kerastore/engine";
import {
  fixturesDir as fixturesRoot,
  readFixture,
  readFixtureJson,
  readFixtureNpy,
  realworld,
} from "@kerastore/fixtures";
import { type LegacyH5Contents, readLegacyH5 } from "@kerastore/h5";
import { readKerasArchive, writeKerasArchive } from "@kerastore/keras-v3";
import { beforeAll, describe, expect, it } from "vitest";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { runPythonJson } from "../src/index.js";
// Not exported by the engine's entry (yet): the same module file the entry would export.
import { flipConvKernel } from "../../engine/src/layers/layer-utils.js";

// Real-world Keras 2/3 files (../shared/realworld): the model is built from the file's own
// model_config (or a sibling's), the weights come from the file's layer groups in file order,
// and the prediction must equal what Keras computed (<name>.output0.npy) to 1e-4 relative.
const rw = realworld();

interface Case {
  /** The weights file. */
  readonly file: string;
  /** Where the architecture comes from when the weights file has none. */
  readonly architecture?: string;
}

const CASES: readonly Case[] = [
  { file: "A-I-nstein__mnist_cnn__cnn_model.h5" },
  { file: "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5" },
  {
    file: "Aaronvpp__LSTM-Name-Classification__model.h5",
    architecture: "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5",
  },
  { file: "AdamVenroy__sentiment-classifer__model.keras" },
  { file: "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5" },
  { file: "HsinM__mnist-NCS__model.h5" },
  { file: "HsinM__mnist-NCS__weights.h5", architecture: "HsinM__mnist-NCS__model.h5" },
  { file: "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5" },
  { file: "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5" },
  { file: "VKapitany__CNN_Introduction__mnist_cnn.h5" },
  {
    file: "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5",
    architecture: "fastmachinelearning__example-models__KERAS_3layer_batch_norm.json",
  },
];

const stem = (file: string): string => file.replace(/\.(h5|keras)$/, "");

async function readH5(dir: string, file: string): Promise<LegacyH5Contents> {
  return readLegacyH5(new Uint8Array(readFileSync(join(dir, file))), { name: file });
}

async function buildModel(dir: string, c: Case, weights: LegacyH5Contents): Promise<Model> {
  let config: JsonValue | undefined;
  let version = weights.kerasVersion;
  if (c.architecture?.endsWith(".json")) {
    config = JSON.parse(readFileSync(join(dir, c.architecture), "utf8")) as JsonValue;
  } else if (c.architecture !== undefined) {
    const sibling = await readH5(dir, c.architecture);
    config = sibling.modelConfig;
    version ??= sibling.kerasVersion;
  } else {
    config = weights.modelConfig;
  }
  const ctx: FromConfigContext = { kerasVersion: kerasMajor(version) };
  clearSession();
  return modelFromJson(config as JsonValue, ctx);
}

/** Sets each layer's weights from its group, in the legacy order (trainable, then non-trainable). */
function loadWeights(model: Model, contents: LegacyH5Contents): number {
  let count = 0;
  for (const group of contents.weights.layers) {
    if (group.weights.length === 0) continue;
    const layer: Layer = model.getLayer(group.name);
    const vars = layer.keras2Weights;
    expect(vars.length, `weights of ${group.name}`).toBe(group.weights.length);
    for (const [i, v] of vars.entries()) v.assign(group.weights[i]!, group.weightNames[i]);
    count += vars.length;
  }
  return count;
}

beforeAll(async () => {
  await initBackend();
});

describe.skipIf(!rw.dir)(
  `real-world models predict what Keras predicted${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    it.each(CASES)("$file", async (c) => {
      const dir = rw.dir!;
      const contents = await readH5(dir, c.file);
      const model = await buildModel(dir, c, contents);
      const n = loadWeights(model, contents);
      expect(n).toBe(model.weights.length);
      const x = readNpy(new Uint8Array(readFileSync(join(dir, `${stem(c.file)}.input0.npy`))));
      const expected = readNpy(new Uint8Array(readFileSync(join(dir, `${stem(c.file)}.output0.npy`))));
      const y = model.predict(x);
      expectAllClose(Array.isArray(y) ? y[0]! : y, expected, { rtol: 1e-4, atol: 1e-5 });
    });
  },
);

// Keras 3 `.keras` archives: the saved object tree (layers/lstm/cell/vars, ...) applied to the
// model its config describes, through the engine's saved-tree loader. Matched by topology: the
// archive reader names variables by index (`lstm_cell/0`), which "path" matching cannot use.
const ARCHIVES = ["conv", "embedding", "lstm", "gru", "simple_rnn"];

describe("Keras 3 archives with these layers load and predict", () => {
  it.each(ARCHIVES)("models/%s/model.keras", async (name) => {
    const archive = await readKerasArchive(readFixture("models", name, "model.keras"));
    clearSession();
    const model = fromSavedModelData(archive.data, {}, { match: "topology" });
    const y = model.predict(readFixtureNpy("models", name, "input0.npy"));
    expectAllClose(Array.isArray(y) ? y[0]! : y, readFixtureNpy("models", name, "output0.npy"), {
      rtol: 1e-5,
      atol: 1e-5,
    });
  });

  it.skipIf(!rw.dir)(
    `Aman-21k__cnn-fashion-mnist-classifier__model.keras (Keras 3.10)${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
    async () => {
      const dir = rw.dir!;
      const stemName = "Aman-21k__cnn-fashion-mnist-classifier__model";
      const archive = await readKerasArchive(new Uint8Array(readFileSync(join(dir, `${stemName}.keras`))));
      clearSession();
      const model = fromSavedModelData(archive.data, {}, { match: "topology" });
      const y = model.predict(readNpy(new Uint8Array(readFileSync(join(dir, `${stemName}.input0.npy`)))));
      expectAllClose(
        Array.isArray(y) ? y[0]! : y,
        readNpy(new Uint8Array(readFileSync(join(dir, `${stemName}.output0.npy`)))),
        { rtol: 1e-4, atol: 1e-5 },
      );
    },
  );
});

// A Theano-backend file (Keras 2.1.3): Theano convolved where TensorFlow correlates, so Keras 2
// flipped every spatial axis of a Conv kernel read from such a file. The reference is Keras 3's
// Conv2D with the kernel flipped by numpy, on the same input.
const THEANO_REFERENCE = `
import h5py, json, sys, numpy as np, keras
with h5py.File(sys.argv[1], "r") as f:
    g = f["model_weights"]["conv2d_1"]
    names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["weight_names"]]
    kernel, bias = (np.asarray(g[n]) for n in names)
    backend = f.attrs["backend"]
x = np.linspace(-1, 1, 2 * 5 * 5 * 5, dtype=np.float32).reshape(2, 5, 5, 5)
layer = keras.layers.Conv2D(6, 3)
layer.build((None, 5, 5, 5))
layer.set_weights([kernel[::-1, ::-1], bias])
y = keras.ops.convert_to_numpy(layer(x))
print(json.dumps({"backend": backend if isinstance(backend, str) else backend.decode(), "y": y.ravel().tolist(), "shape": list(y.shape)}))
`;

describe.skipIf(!rw.dir)(`Theano-era Conv kernels${rw.missing ? ` (skipped: ${rw.missing})` : ""}`, () => {
  it("KonduitAI__dl4j-test-resources__conv2d_theano_2.h5 predicts as Keras 2 did once its kernel is flipped", async () => {
    const file = "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5";
    const path = join(rw.dir!, file);
    const contents = await readH5(rw.dir!, file);
    expect(contents.backend).toBe("theano");
    const model = await buildModel(rw.dir!, { file }, contents);
    const group = contents.weights.layers.find((l) => l.weights.length > 0)!;
    const layer = model.getLayer(group.name);
    layer.setWeights([flipConvKernel(group.weights[0]!), group.weights[1]!]);
    const x = Float32Array.from({ length: 250 }, (_, i) => -1 + (2 * i) / 249);
    const ref = await runPythonJson<{ backend: string; y: number[]; shape: number[] }>(THEANO_REFERENCE, {
      args: [path],
    });
    expect(ref.backend).toBe("theano");
    const y = model.predict({ dtype: "float32", shape: [2, 5, 5, 5], data: x });
    const out = Array.isArray(y) ? y[0]! : y;
    expectAllClose(
      out,
      { dtype: "float32", shape: ref.shape, data: Float32Array.from(ref.y) },
      { rtol: 1e-4, atol: 1e-5 },
    );
    // Unflipped, the same weights give other numbers: the flip matters for this file.
    layer.setWeights([group.weights[0]!, group.weights[1]!]);
    const wrong = model.predict({ dtype: "float32", shape: [2, 5, 5, 5], data: x });
    expect(() =>
      expectAllClose(
        Array.isArray(wrong) ? wrong[0]! : wrong,
        { dtype: "float32", shape: ref.shape, data: Float32Array.from(ref.y) },
        { rtol: 1e-4, atol: 1e-5 },
      ),
    ).toThrow();
    // The facade's loadModel flips the kernels of Theano-backend files by itself.
    const loaded = await keras.models.loadModel(path);
    const viaFacade = loaded.predict({ dtype: "float32", shape: [2, 5, 5, 5], data: x });
    expectAllClose(
      Array.isArray(viaFacade) ? viaFacade[0]! : viaFacade,
      { dtype: "float32", shape: ref.shape, data: Float32Array.from(ref.y) },
      { rtol: 1e-4, atol: 1e-5 },
    );
  });
});

// The other way: models with these layers built here (config + fixture weights), written as
// .keras by Kerastore, loaded by Keras 3.15 with keras.models.load_model: Keras must find every
// variable under our saved-tree edges (cell, forward_layer, backward_layer, layer) and predict
// what it predicted for the original.
const KERAS_LOAD = `
import json, sys, numpy as np, keras
out = {}
for path, inputs in zip(sys.argv[1::2], sys.argv[2::2]):
    model = keras.models.load_model(path)
    xs = [np.load(p) for p in inputs.split(",")]
    ys = model(xs if len(xs) > 1 else xs[0], training=False)
    ys = ys if isinstance(ys, (list, tuple)) else [ys]
    out[path] = [keras.ops.convert_to_numpy(y).ravel().tolist() for y in ys]
print(json.dumps(out))
`;

describe("Keras loads .keras archives Kerastore writes with these layers", () => {
  const NAMES = [
    "conv1d",
    "conv2d",
    "normalization",
    "embedding",
    "recurrent",
    "wrappers",
    "reshaping",
    "preprocessing",
  ];
  it("and predicts the fixtures' outputs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-layers-"));
    const args: string[] = [];
    const index = readFixtureJson<{ models: { name: string; inputs: number; outputs: number; weights: number }[] }>(
      "layers",
      "index.json",
    ).models;
    for (const name of NAMES) {
      const entry = index.find((e) => e.name === name)!;
      clearSession();
      const model = deserializeLayer(readFixtureJson<JsonValue>("layers", name, "config.json")) as Model;
      model.setWeights(
        Array.from({ length: entry.weights }, (_, i) => readFixtureNpy("layers", name, "weights", `${i}.npy`)),
      );
      const path = join(dir, `${name}.keras`);
      writeFileSync(path, await writeKerasArchive(toSavedModelData(model)));
      const inputs = Array.from({ length: entry.inputs }, (_, i) => join(fixtureDir(name), `input${i}.npy`));
      args.push(path, inputs.join(","));
    }
    const result = await runPythonJson<Record<string, number[][]>>(KERAS_LOAD, { args });
    for (const name of NAMES) {
      const entry = index.find((e) => e.name === name)!;
      const outs = result[join(dir, `${name}.keras`)]!;
      expect(outs.length, name).toBe(entry.outputs);
      for (const [i, o] of outs.entries()) {
        const expected = readFixtureNpy("layers", name, `output${i}.npy`);
        expectAllClose({ dtype: "float32", shape: expected.shape, data: Float32Array.from(o) }, expected, {
          rtol: 1e-5,
          atol: 1e-5,
        });
      }
    }
  });
});

function fixtureDir(name: string): string {
  return join(fixturesRoot, "layers", name);
}

// Keras 2's CuDNNLSTM / CuDNNGRU files (packages/fixtures/data/keras2_layers, tf.keras 2's .h5
// layout written with h5py) load here as LSTM / GRU; written back as .keras and as Keras 2 .h5,
// Keras 3.15 loads them and predicts what Keras 3's LSTM / GRU predicted with the converted weights.
describe("Keras loads the LSTM / GRU Kerastore writes from Keras 2 CuDNN layers", () => {
  it.each(["keras", "h5"])("as .%s, and predicts the fixtures' outputs", async (ext) => {
    const dir = mkdtempSync(join(tmpdir(), "kerastore-cudnn-"));
    const args: string[] = [];
    const names = ["cudnn_stack", "cudnn_bidirectional"];
    for (const name of names) {
      const model = await keras.models.loadModel(join(fixturesRoot, "keras2_layers", name, "model.h5"));
      const path = join(dir, `${name}.${ext}`);
      await model.save(path);
      model.dispose();
      args.push(path, join(fixturesRoot, "keras2_layers", name, "input0.npy"));
    }
    const result = await runPythonJson<Record<string, number[][]>>(KERAS_LOAD, { args });
    for (const name of names) {
      const [out] = result[join(dir, `${name}.${ext}`)]!;
      const expected = readFixtureNpy("keras2_layers", name, "output0.npy");
      expectAllClose({ dtype: "float32", shape: expected.shape, data: Float32Array.from(out!) }, expected, {
        rtol: 1e-5,
        atol: 1e-5,
        label: name,
      });
    }
  });
});
