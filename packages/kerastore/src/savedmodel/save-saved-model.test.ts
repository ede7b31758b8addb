import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type HostTensor,
  KerastoreError,
  MemoryStore,
  type SavedNode,
  type Store,
  type WriteData,
} from "@kerastore/core";
import { clearSession, Masking, tf } from "@kerastore/engine";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { FunctionBuilder, readKerasMetadata, readSavedModel, writeSavedModel } from "@kerastore/savedmodel";
import { LoweringError } from "@kerastore/savedmodel-lowering";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run.js";
import { keras, loadModel, loadSavedModel, type SavableModel, Sequential, saveModel } from "../node.js";
import { grid, mlp, writerCases } from "./savedmodel-models.test-util.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

function predictions(model: SavableModel, inputs: Record<string, HostTensor>): HostTensor[] {
  const ordered = model.inputs.map((t) => inputs[t.history.layer.name]!);
  const out = model.predict(ordered.length === 1 ? ordered[0]! : ordered);
  return Array.isArray(out) ? out : [out];
}

/** A store whose writes fail after `allowed` of them succeeded. */
class FailingStore extends MemoryStore {
  writes = 0;
  constructor(private readonly allowed: number) {
    super();
  }
  override async write(path: string, data: WriteData): Promise<void> {
    if (this.writes++ >= this.allowed) throw new Error(`disk full writing ${path}`);
    return super.write(path, data);
  }
}

beforeAll(async () => {
  await keras.ready();
});

describe("saveModel to a path without an extension writes a SavedModel", () => {
  for (const c of writerCases()) {
    it(`${c.name}: the serving signature run by loadSavedModel equals the model's predict`, async () => {
      clearSession();
      const model = c.model() as SavableModel;
      const store = new MemoryStore();
      await saveModel(model, { store, path: "my_model" });
      expect((await store.list("my_model")).sort()).toEqual([
        "assets",
        "keras_metadata.pb",
        "saved_model.pb",
        "variables",
      ]);
      const inputs = c.inputs();
      const loaded = await loadSavedModel({ store, path: "my_model" });
      expect(Object.keys(loaded.signatures)).toEqual(["serving_default"]);
      const out = await loaded.signatures["serving_default"]!(inputs);
      const want = predictions(model, inputs);
      expect(Object.keys(out).sort()).toEqual(want.map((_, i) => `output_${i}`));
      for (const [i, w] of want.entries()) expectAllClose(out[`output_${i}`]!, w, { rtol: 1e-5, floor: 1 });
      // The root's __call__ (Python: loaded(x), a list for several inputs) gives the same.
      expect(Object.keys(loaded.functions)).toEqual(["__call__"]);
      const called = await loaded.functions["__call__"]!(...model.inputs.map((t) => inputs[t.history.layer.name]!));
      const list = Array.isArray(called) ? (called as HostTensor[]) : [called as HostTensor];
      expect(list.length).toBe(want.length);
      for (const [i, w] of want.entries()) expectAllClose(list[i]!, w, { rtol: 1e-5, floor: 1 });
      // Every weight is a captured variable with the model's value.
      expect(loaded.variables.length).toBe(model.weights.length);
      loaded.dispose();
    });
  }

  it("records the signature as TensorFlow does: Input-layer keywords, output_N outputs, shapes", async () => {
    clearSession();
    const store = new MemoryStore();
    await saveModel(writerCases()[2]!.model(), { store, path: "m" });
    const info = await readSavedModel(store, "m");
    const sig = info.signatures["serving_default"]!;
    expect(Object.entries(sig.inputs).map(([k, i]) => [k, i.tensorName, i.dtype, i.shape])).toEqual([
      ["left", "serving_default_left:0", "float32", [null, 4]],
      ["tokens", "serving_default_tokens:0", "int32", [null, 3]],
    ]);
    expect(Object.entries(sig.outputs).map(([k, o]) => [k, o.tensorName, o.shape])).toEqual([
      ["output_0", "StatefulPartitionedCall:0", [null, 2]],
      ["output_1", "StatefulPartitionedCall:1", [null, 3, 5]],
    ]);
  });

  it("loadModel(dir) gives back the config, the weights and the compile config", async () => {
    clearSession();
    const model = mlp() as SavableModel;
    model.compile({ optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"] });
    const store = new MemoryStore();
    await saveModel(model, { store, path: "my_model" });
    const metadata = await readKerasMetadata(store, "my_model");
    expect(metadata?.[0]).toMatchObject({ nodeId: 0, nodePath: "root", identifier: "_tf_keras_network" });
    expect(metadata?.map((m) => m.nodePath)).toContain("root.layer_with_weights-0");
    const loaded = await loadModel({ store, path: "my_model" }, { onWarning: (m) => expect.fail(m) });
    expect(loaded.toConfig()).toEqual(model.toConfig());
    expect(loaded.weights.map((w) => w.path)).toEqual(model.weights.map((w) => w.path));
    for (const [i, w] of loaded.weights.entries())
      expect(Array.from(w.value.dataSync())).toEqual(Array.from(model.weights[i]!.value.dataSync()));
    expect(loaded.compileConfig).toEqual(model.compileConfig);
    const x = grid([2, 6], 5);
    expectAllClose(loaded.predict(x) as HostTensor, model.predict(x) as HostTensor, { rtol: 0, floor: 1 });
  });

  it.each(["adam", "rmsprop", "sgd", "adagrad"])(
    "keeps the %s state: loadModel(dir) comes back compiled and takes the same next step",
    async (optimizer) => {
      clearSession();
      const build = () =>
        new Sequential({
          name: "resume",
          layers: [
            keras.Input({ shape: [5] }),
            new keras.layers.Dense({ units: 4, activation: "tanh" }),
            new keras.layers.Dense({ units: 2 }),
          ],
        });
      const x = tf.tensor2d(
        Array.from({ length: 40 }, (_, i) => Math.sin(i * 0.37)),
        [8, 5],
      );
      const y = tf.tensor2d(
        Array.from({ length: 16 }, (_, i) => Math.cos(i * 0.21)),
        [8, 2],
      );
      const model = build();
      model.compile({ optimizer, loss: "mean_squared_error" });
      await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      const store = new MemoryStore();
      await saveModel(model, { store, path: "ckpt_model" });
      const loaded = await loadModel({ store, path: "ckpt_model" }, { onWarning: (m) => expect.fail(m) });
      expect(loaded.optimizer?.iterations).toBe(4);
      const ours = model.optimizer!.getWeights();
      const theirs = loaded.optimizer!.getWeights();
      expect(theirs.length).toBe(ours.length);
      for (const [i, w] of theirs.entries()) expect(Array.from(w, Number)).toEqual(Array.from(ours[i]!, Number));
      await model.trainOnBatch(x, y);
      await loaded.trainOnBatch(x, y);
      loaded.weights.forEach((w, i) => {
        const a = w.value.dataSync();
        const b = model.weights[i]!.value.dataSync();
        for (let j = 0; j < a.length; j++) expect(Math.abs(a[j]! - b[j]!)).toBeLessThan(1e-6);
      });
    },
  );

  it("without the optimizer when includeOptimizer is false", async () => {
    clearSession();
    const model = mlp() as SavableModel;
    model.compile({ optimizer: "adam", loss: "mean_squared_error" });
    const store = new MemoryStore();
    await saveModel(model, { store, path: "m" }, { includeOptimizer: false });
    const info = await readSavedModel(store, "m");
    expect(info.variables.map((v) => v.name).some((n) => n.includes("optimizer"))).toBe(false);
    expect(info.variables.length).toBe(model.weights.length);
  });

  it("leaves no tensors behind: the model rebuilt for the lowering is freed", async () => {
    clearSession();
    const model = mlp() as SavableModel;
    const store = new MemoryStore();
    await saveModel(model, { store, path: "warm" });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await saveModel(model, { store, path: `m${i}` });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("names a layer with no TensorFlow lowering and the formats that hold it, writing nothing", async () => {
    clearSession();
    const inputs = keras.Input({ shape: [3, 2] });
    const model = new keras.Model({ inputs, outputs: new Masking({ name: "masked" }).apply(inputs) });
    const store = new MemoryStore();
    const error = await saveModel(model, { store, path: "rnn" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoweringError);
    expect((error as LoweringError).code).toBe("unsupported");
    expect((error as Error).message).toMatch(
      /layer "masked" \(Masking\).*no TensorFlow lowering for Masking layers.*\.keras or \.h5/,
    );
    expect(await store.exists("rnn")).toBe(false);
  });

  it("leaves no directory behind when a write fails midway", async () => {
    clearSession();
    const model = mlp();
    const good = new MemoryStore();
    await saveModel(model, { store: good, path: "m" });
    const files = [
      "m/variables/variables.index",
      "m/variables/variables.data-00000-of-00001",
      "m/keras_metadata.pb",
      "m/saved_model.pb",
    ];
    for (const f of files) expect(await good.exists(f), f).toBe(true);
    for (let allowed = 0; allowed < files.length; allowed++) {
      const store = new FailingStore(allowed);
      await expect(saveModel(model, { store, path: "m" })).rejects.toThrow(/disk full/);
      expect(await store.exists("m"), `after ${allowed} writes`).toBe(false);
    }
    // The files, then the commit record that publishes them as one set (see writeFileSet).
    const store = new FailingStore(files.length + 1);
    await saveModel(model, { store, path: "m" });
    expect(store.writes).toBe(files.length + 1);
    expect(store.paths()).toEqual(files.sort());
  });

  it("over an older SavedModel, a failed write leaves the older one whole and loadable (issue 16)", async () => {
    clearSession();
    const older = mlp();
    const store = new FailingStore(5 + 2);
    await saveModel(older, { store: store as Store, path: "m" });
    const before = store.paths();
    await expect(saveModel(mlp(), { store, path: "m" })).rejects.toThrow(/disk full/);
    expect(store.paths()).toEqual(before);
    const loaded = await loadModel({ store, path: "m" }, { compile: false });
    expect(loaded.getWeights().map((w) => [...(w.data as Float32Array)])).toEqual(
      older.getWeights().map((w) => [...(w.data as Float32Array)]),
    );
    loaded.dispose();
  });

  it("a SavedModel without Keras metadata (model.export) says to use keras.savedModel.load", async () => {
    const error = await loadModel(fixturePath("savedmodel", "keras_export", "saved_model")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/without Keras metadata.*keras\.savedModel\.load/);
  });

  it("kerastore convert --to savedmodel writes a directory whose signature reproduces Python's outputs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kerastore-smw-cli-"));
    try {
      const target = join(dir, "converted");
      let err = "";
      const code = await runCli(
        ["convert", fixturePath("models", "3_layer_mlp", "model.h5"), target, "--to", "savedmodel"],
        { stdout: () => undefined, stderr: (t) => (err += t) },
      );
      expect(code, err).toBe(0);
      const loaded = await loadSavedModel(target);
      const x = readFixtureNpy("models", "3_layer_mlp", "input0.npy");
      const inputName = Object.keys(loaded.info.signatures["serving_default"]!.inputs)[0]!;
      const out = await loaded.signatures["serving_default"]!({ [inputName]: x });
      expectAllClose(out["output_0"]!, readFixtureNpy("models", "3_layer_mlp", "output0.npy"), {
        rtol: 1e-5,
        floor: 1,
      });
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a damaged keras_metadata.pb or variables index is a typed error naming the file, at every cut", async () => {
    clearSession();
    const good = new MemoryStore();
    await saveModel(mlp(), { store: good, path: "m" });
    const files = ["m/keras_metadata.pb", "m/variables/variables.index"];
    let failures = 0;
    for (const file of files) {
      const bytes = await good.read(file);
      const step = Math.max(1, Math.floor(bytes.length / 40));
      for (let cut = 0; cut < bytes.length; cut += step) {
        const store = new MemoryStore();
        for (const f of [...files, "m/saved_model.pb", "m/variables/variables.data-00000-of-00001"])
          await store.write(f, f === file ? bytes.slice(0, cut) : await good.read(f));
        const error = await loadModel({ store, path: "m" }).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error === undefined) continue;
        failures++;
        expect(error, `${file} cut at ${cut}: ${String(error)}`).toBeInstanceOf(KerastoreError);
        expect(String((error as Error).message), `${file} cut at ${cut}`).toMatch(
          /keras_metadata\.pb|m\/variables\/variables|memory\/m/,
        );
      }
    }
    expect(failures).toBeGreaterThan(40);
  });

  it("safe mode refuses a keras_metadata.pb whose model_config holds a Python lambda", async () => {
    const config = {
      class_name: "Sequential",
      config: {
        name: "s",
        layers: [
          {
            class_name: "Lambda",
            config: { name: "l", function: { class_name: "__lambda__", config: { code: "4wEAAAAA" } } },
          },
        ],
      },
    };
    const root: SavedNode = { className: "Sequential", name: "s", variables: [], children: [] };
    const store = new MemoryStore();
    const builder = new FunctionBuilder("f");
    builder.output("output_0", builder.input("x", "float32", [null, 1]), "float32", [null, 1]);
    await writeSavedModel(store, "m", {
      variables: root,
      signatures: {
        serving_default: { builder, inputs: [{ name: "x", dtype: "float32", shape: [null, 1] }], captures: [] },
      },
      kerasMetadata: [
        { node: root, identifier: "_tf_keras_sequential", metadata: JSON.stringify({ model_config: config }) },
      ],
    });
    await expect(loadModel({ store, path: "m" })).rejects.toThrow(
      /keras_metadata\.pb: safe mode refuses a serialized Python lambda/,
    );
  });
});
