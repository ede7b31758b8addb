import { MemoryStore, hostTensor, utf8Encode } from "@kerastore/core";
import { fixturePath } from "@kerastore/fixtures";
import { builtinFormats, createFormatRegistry, keras, loadModel, saveModel } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SHARD_SIZE_BYTES, TfjsFormatError, kerastoreFormats, tfjsLayersFormat } from "./index.js";
import { expectOutputsClose, loadInTfjs, memoryStore, predictInTfjs } from "./tfjs-test-support.test-util.js";

const formats = () => createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
beforeAll(() => keras.ready());

const read = (store: MemoryStore, path: string) =>
  tfjsLayersFormat.read({ store, path }, { safeMode: true, onWarning: () => {} });

async function writeModelJson(
  store: MemoryStore,
  json: unknown,
  shards: Record<string, Uint8Array> = {},
): Promise<void> {
  await store.write("m/model.json", utf8Encode(JSON.stringify(json)));
  for (const [name, bytes] of Object.entries(shards)) await store.write(`m/${name}`, bytes);
}

const topology = {
  keras_version: "2.15.0",
  backend: "tensorflow",
  model_config: {
    class_name: "Sequential",
    config: {
      name: "s",
      layers: [
        {
          class_name: "Dense",
          config: { name: "d", units: 2, batch_input_shape: [null, 3], activation: "linear", use_bias: true },
        },
      ],
    },
  },
};
const weights = (shape: number[], extra: object = {}) => [
  {
    paths: ["group1-shard1of1.bin"],
    weights: [
      { name: "d/kernel", shape, dtype: "float32", ...extra },
      { name: "d/bias", shape: [2], dtype: "float32" },
    ],
  },
];

describe("weight shards", () => {
  it("are cut every shardSizeBytes, named group1-shard<i>of<n>.bin, and tfjs-layers reassembles them", async () => {
    const model = await loadModel(fixturePath("models", "conv", "model.keras"));
    const store = memoryStore();
    await saveModel(
      model,
      { store, path: "web" },
      { format: "tfjs", formats: formats(), settings: { shardSizeBytes: 1000 } },
    );
    const json = JSON.parse(new TextDecoder().decode(await store.read("web/model.json")));
    const paths: string[] = json.weightsManifest[0].paths;
    const total = model.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
    expect(paths.length).toBe(Math.ceil(total / 1000));
    expect(paths).toEqual(paths.map((_, i) => `group1-shard${i + 1}of${paths.length}.bin`));
    for (const [i, p] of paths.entries())
      expect(await store.size(`web/${p}`)).toBe(i < paths.length - 1 ? 1000 : total - 1000 * (paths.length - 1));
    const tfjsModel = await loadInTfjs(store, "web");
    const x = hostTensor(
      "float32",
      [1, ...model.inputs[0]!.shape.slice(1).map((d) => d ?? 1)],
      new Float32Array(model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1)).fill(0.25),
    );
    const ours = model.predict(x);
    expectOutputsClose(predictInTfjs(tfjsModel, [x])[0]!, Array.isArray(ours) ? ours[0]! : ours);
  });

  it("default to the converter's 4 MiB: a 4.4 MB kernel spans two shards", async () => {
    const input = keras.Input({ shape: [1100] });
    const model = new keras.Model({
      inputs: input,
      outputs: new keras.layers.Dense({ units: 1000, useBias: false }).apply(input),
    });
    const store = memoryStore();
    await saveModel(model, { store, path: "big" }, { format: "tfjs", formats: formats() });
    expect(await store.list("big")).toEqual(["group1-shard1of2.bin", "group1-shard2of2.bin", "model.json"]);
    expect(await store.size("big/group1-shard1of2.bin")).toBe(DEFAULT_SHARD_SIZE_BYTES);
    expect(await store.size("big/group1-shard2of2.bin")).toBe(1100 * 1000 * 4 - DEFAULT_SHARD_SIZE_BYTES);
    model.dispose();
  });

  it("a new save replaces the old set: shards the old one had and the new one has not are gone", async () => {
    const model = await loadModel(fixturePath("models", "conv", "model.keras"));
    const store = memoryStore();
    await saveModel(
      model,
      { store, path: "web" },
      { format: "tfjs", formats: formats(), settings: { shardSizeBytes: 500 } },
    );
    await saveModel(model, { store, path: "web" }, { format: "tfjs", formats: formats() });
    expect(await store.list("web")).toEqual(["group1-shard1of1.bin", "model.json"]);
  });
});

describe("bad options and bad files: typed errors naming the file and what was expected", () => {
  it("refuses a shard size that is not a positive integer, and an unknown quantization", async () => {
    const model = await loadModel(fixturePath("models", "mlp_sequential", "model.keras"));
    const save = (settings: Record<string, unknown>) =>
      saveModel(model, { store: memoryStore(), path: "w" }, { format: "tfjs", formats: formats(), settings });
    await expect(save({ shardSizeBytes: 0 })).rejects.toThrow(
      /cannot write w: shardSizeBytes must be a positive integer, got 0/,
    );
    await expect(save({ quantization: "int4" })).rejects.toThrow(/quantization must be "float16", "uint8", "uint16"/);
  });

  it("a refused write leaves the old model whole", async () => {
    const store = memoryStore();
    await saveModel(
      await loadModel(fixturePath("models", "mlp_sequential", "model.keras")),
      { store, path: "w" },
      { format: "tfjs", formats: formats() },
    );
    const before = await store.read("w/model.json");
    const gru = await loadModel(fixturePath("models", "gru", "model.keras"));
    await expect(saveModel(gru, { store, path: "w" }, { format: "tfjs", formats: formats() })).rejects.toBeInstanceOf(
      TfjsFormatError,
    );
    expect(await store.read("w/model.json")).toEqual(before);
    expect(await store.list("w")).toEqual(["group1-shard1of1.bin", "model.json"]);
  });

  it("a manifest declaring more bytes than its shards hold is refused before anything is allocated", async () => {
    const store = new MemoryStore();
    await writeModelJson(
      store,
      { format: "layers-model", modelTopology: topology, weightsManifest: weights([3000000000, 2]) },
      { "group1-shard1of1.bin": new Uint8Array(32) },
    );
    await expect(read(store, "m")).rejects.toThrow(
      /cannot read m\/model.json: weights group 1 declares 24000000008 bytes of weights but its 1 shard file\(s\) hold 32/,
    );
  });

  it("shard paths must stay beside model.json", async () => {
    const store = new MemoryStore();
    const manifest = [{ paths: ["../secret.bin"], weights: [] }];
    await writeModelJson(store, { format: "layers-model", modelTopology: topology, weightsManifest: manifest });
    await expect(read(store, "m")).rejects.toThrow(
      /weightsManifest\[0\]\.paths\[0\] must be a shard file name beside model.json, got "\.\.\/secret\.bin"/,
    );
  });

  it("a missing shard, a graph model, a bad shape, a weight of no layer, an unknown quantization", async () => {
    const cases: [unknown, RegExp][] = [
      [
        { format: "layers-model", modelTopology: topology, weightsManifest: weights([3, 2]) },
        /the weight shard m\/group1-shard1of1\.bin is missing/,
      ],
      [{ format: "graph-model", modelTopology: {}, weightsManifest: [] }, /a TensorFlow\.js graph model/],
      [
        { format: "layers-model", modelTopology: topology, weightsManifest: weights([3, -2]) },
        /has a bad shape \[3,-2\]/,
      ],
      [
        {
          format: "layers-model",
          modelTopology: topology,
          weightsManifest: weights([3, 2], { quantization: { dtype: "int4" } }),
        },
        /unknown quantization/,
      ],
      [
        {
          format: "layers-model",
          modelTopology: topology,
          weightsManifest: weights([3, 2], { quantization: { dtype: "uint8" } }),
        },
        /uint8-quantized without numeric "min" and "scale"/,
      ],
      [{ format: "layers-model", weightsManifest: [] }, /expected "modelTopology"/],
    ];
    for (const [json, message] of cases) {
      const store = new MemoryStore();
      await writeModelJson(store, json);
      await expect(read(store, "m"), String(message)).rejects.toThrow(message);
    }
    const store = new MemoryStore();
    const stray = [{ paths: ["w.bin"], weights: [{ name: "other/kernel", shape: [1], dtype: "float32" }] }];
    await writeModelJson(
      store,
      { format: "layers-model", modelTopology: topology, weightsManifest: stray },
      { "w.bin": new Uint8Array(4) },
    );
    await expect(read(store, "m")).rejects.toThrow(/weights other\/kernel name no layer of the model/);
  });

  it("model.json that is not JSON is a typed error naming the file", async () => {
    const store = new MemoryStore({ "m/model.json": utf8Encode("{ not json") });
    await expect(read(store, "m")).rejects.toThrow(/m\/model\.json/);
  });
});

describe("where a save goes", () => {
  it("a path ending /model.json saves into its directory; another .json stays the architecture-only JSON format's", async () => {
    const model = await loadModel(fixturePath("models", "mlp_sequential", "model.keras"));
    const store = memoryStore();
    await saveModel(model, { store, path: "site/web_model/model.json" }, { formats: formats() });
    expect(await store.list("site/web_model")).toEqual(["group1-shard1of1.bin", "model.json"]);
    await saveModel(model, { store, path: "my_model.json" }, { formats: formats() });
    const json = JSON.parse(new TextDecoder().decode(await store.read("my_model.json")));
    expect(json.class_name).toBe("Sequential");
    expect((await formats().detect({ store, path: "site/web_model/model.json" })).name).toBe("tfjs");
    expect((await formats().detect({ store, path: "my_model.json" })).name).toBe("json");
  });
});
