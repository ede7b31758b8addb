import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JsonObject, type JsonValue, KerastoreError } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import { fixturePath } from "@kerastore/fixtures";
import { readKerasH5, writeLegacyH5 } from "@kerastore/h5";
import { bytesSource, readZipDirectory, readZipMember, writeZip } from "@kerastore/keras-v3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

// Issue 16: configs that lie (sizes, classes, dtypes, shapes, code) are refused at load with a
// typed error naming the place, before anything large is allocated.
let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-hostile-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const MLP = fixturePath("models", "mlp_sequential", "config.json");

/** The mlp_sequential fixture's config (Input 16 -> Dense "hidden" 12 -> Dropout -> Dense ...), edited. */
async function mlpConfig(edit: (config: JsonObject, layers: JsonObject[]) => void): Promise<JsonObject> {
  const config = JSON.parse(await readFile(MLP, "utf8")) as JsonObject;
  const layers = (config.config as JsonObject).layers as JsonObject[];
  edit(config, layers);
  return config;
}

function layerNamed(layers: JsonObject[], name: string): JsonObject {
  const found = layers.find((l) => (l.config as JsonObject).name === name);
  if (found === undefined) throw new Error(`no layer ${name}`);
  return found;
}

async function writeJson(name: string, config: JsonValue): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify(config));
  return path;
}

/** The fixture's model.keras with its config.json replaced. */
async function writeKeras(name: string, config: JsonValue): Promise<string> {
  const bytes = await readFile(fixturePath("models", "mlp_sequential", "model.keras"));
  const zip = await readZipDirectory(bytesSource(new Uint8Array(bytes)));
  const members = [];
  for (const e of zip.entries) {
    members.push({
      name: e.name,
      data: e.name === "config.json" ? new TextEncoder().encode(JSON.stringify(config)) : await readZipMember(zip, e),
    });
  }
  const path = join(dir, name);
  await writeFile(path, writeZip(members));
  return path;
}

/** The fixture's model.h5 with its model_config replaced. */
async function writeH5(name: string, config: JsonObject): Promise<string> {
  const file = await readKerasH5(await readFile(fixturePath("models", "mlp_sequential", "model.h5")), {
    name: "model.h5",
  });
  const path = join(dir, name);
  await writeFile(path, await writeLegacyH5({ ...file.data, modelConfig: config }, { dialect: "keras3" }));
  return path;
}

async function loadError(path: string, options: Parameters<typeof keras.models.loadModel>[1] = {}): Promise<Error> {
  const error = await keras.models.loadModel(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${path} should not load`).toBeInstanceOf(KerastoreError);
  return error as Error;
}

describe("config-declared sizes (defect 1)", () => {
  it("a 2 KB .json asking for units 1e8 is refused against the budget before allocating", async () => {
    const path = await writeJson(
      "huge-units.json",
      await mlpConfig((_, layers) => ((layerNamed(layers, "hidden").config as JsonObject).units = 1e8)),
    );
    const before = process.memoryUsage().rss;
    const error = await loadError(path);
    expect(error.message).toMatch(/weight "kernel" of layer "hidden"/);
    expect(error.message).toMatch(/\(16, 100000000\)/);
    expect(error.message).toMatch(/budget/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 2 ** 20);
  });

  it("units >= 2^31 gives a typed error, not a RangeError", async () => {
    const path = await writeJson(
      "units-2-31.json",
      await mlpConfig((_, layers) => ((layerNamed(layers, "hidden").config as JsonObject).units = 2 ** 31)),
    );
    const error = await loadError(path);
    expect(error.message).toMatch(/layer "hidden"/);
  });

  it("a .keras whose config asks for more than its weights hold names the layer, the weight and both shapes", async () => {
    const path = await writeKeras(
      "lying-units.keras",
      await mlpConfig((_, layers) => ((layerNamed(layers, "hidden").config as JsonObject).units = 1_000_000)),
    );
    const error = await loadError(path);
    expect(error.message).toMatch(/weight "kernel" of layer "hidden"/);
    expect(error.message).toMatch(/\(16, 1000000\)/);
    // The largest weight the fixture's file holds (its Dense kernels are at most 16 x 12).
    expect(error.message).toMatch(/largest weight the file holds is \(16, 12\)/);
  });

  it("the budget is an option: a small one refuses what the default allows", async () => {
    const path = await writeJson(
      "units-3000.json",
      await mlpConfig((_, layers) => ((layerNamed(layers, "probs").config as JsonObject).units = 3000)),
    );
    const error = await loadError(path, { weightBudget: { maxBytes: 100_000 } });
    expect(error.message).toMatch(/budget of 100000 bytes/);
    const model = await keras.models.loadModel(path);
    expect(model.getLayer("probs").weights[0]!.shape).toEqual([12, 3000]);
    model.dispose();
  });

  it("a config alone gets the 64 MiB default budget: 96 MB of weights from a .json are refused", async () => {
    const path = await writeJson(
      "units-2e6.json",
      await mlpConfig((_, layers) => ((layerNamed(layers, "probs").config as JsonObject).units = 2_000_000)),
    );
    const error = await loadError(path);
    expect(error.message).toMatch(/budget of 67108864 bytes.*weightBudget/);
  });
});

describe("module and registered_name (defect 5)", () => {
  it("a config naming evil_pkg>Dense does not silently build Keras's Dense", async () => {
    const config = await mlpConfig((_, layers) => {
      const hidden = layerNamed(layers, "hidden");
      hidden.module = "evil_pkg";
      hidden.registered_name = "evil_pkg>Dense";
    });
    const path = await writeJson("evil-module.json", config);
    const error = await loadError(path);
    expect(error.message).toMatch(/evil_pkg>Dense/);
    // Given the class under that name, it loads (the user vouches for it).
    const model = await keras.models.loadModel(path, { customObjects: { "evil_pkg>Dense": keras.layers.Dense } });
    expect(model.getLayer("hidden").className).toBe("Dense");
    model.dispose();
  });

  it("a foreign module alone (no registered name) is refused too", async () => {
    const path = await writeJson(
      "evil-module-only.json",
      await mlpConfig((_, layers) => (layerNamed(layers, "hidden").module = "evil_pkg.layers")),
    );
    expect((await loadError(path)).message).toMatch(/evil_pkg/);
  });
});

describe("dtypes (defect 6)", () => {
  it.each(["float64", "int8", "string", "mixed_float16", "made_up_dtype"])(
    "a layer of dtype %s is refused with a clear error",
    async (dtype) => {
      const path = await writeJson(
        `dtype-${dtype}.json`,
        await mlpConfig((_, layers) => ((layerNamed(layers, "hidden").config as JsonObject).dtype = dtype)),
      );
      const error = await loadError(path);
      expect(error.message).toContain(`dtype "${dtype}"`);
      expect(error.message).toMatch(/layer "hidden"/);
      expect(error.message).not.toMatch(/Unknown data type/);
    },
  );
});

describe("classes where functions go, functions where classes go (defect 7)", () => {
  it.each([
    ["kernel_initializer", { class_name: "Model", config: {} }],
    ["kernel_regularizer", { class_name: "Sequential", config: {} }],
    ["kernel_constraint", { class_name: "Model", config: {} }],
    ["activation", "Sequential"],
  ])("a model class as %s is refused", async (key, value) => {
    const path = await writeJson(
      `class-as-${key}.json`,
      await mlpConfig((_, layers) => ((layerNamed(layers, "hidden").config as JsonObject)[key] = value as JsonValue)),
    );
    const error = await loadError(path);
    expect(error.message).toMatch(/class/);
    expect(error.message).not.toMatch(/cannot be invoked without 'new'/);
  });

  it("a function where a layer goes is refused", async () => {
    const path = await writeJson(
      "function-as-layer.json",
      await mlpConfig((_, layers) => (layerNamed(layers, "hidden").class_name = "myActivation")),
    );
    const error = await loadError(path, { customObjects: { myActivation: (x: unknown) => x } });
    expect(error.message).toMatch(/not a layer class/);
  });
});

describe("shape-inconsistent configs (defect 8)", () => {
  it("a Dense built for another input size is refused at load, as Keras does", async () => {
    const path = await writeJson(
      "dense-build-mismatch.json",
      await mlpConfig((_, layers) => (layerNamed(layers, "hidden").build_config = { input_shape: [null, 7] })),
    );
    const error = await loadError(path);
    expect(error.message).toMatch(/layer "hidden"/);
  });

  it("an Add of incompatible shapes is refused at load", async () => {
    const a = keras.Input({ shape: [4] });
    const b = new keras.layers.Dense({ units: 3, name: "b" }).apply(a);
    const c = new keras.layers.Dense({ units: 3, name: "c" }).apply(a);
    const model = new keras.Model({ inputs: a, outputs: new keras.layers.Add({ name: "sum" }).apply([b, c]) });
    const json = JSON.parse(model.toJson()) as JsonObject;
    model.dispose();
    const c2 = ((json.config as JsonObject).layers as JsonObject[]).find((l) => (l.config as JsonObject).name === "c")!;
    (c2.config as JsonObject).units = 5;
    delete c2.build_config;
    const error = await loadError(await writeJson("add-mismatch.json", json));
    expect(error.message).toMatch(/Add layer "sum".*incompatible shapes \(None, 3\) and \(None, 5\)/);
  });
});

describe("safe mode in every format (defect 9)", () => {
  const keras2Lambda: JsonObject = {
    class_name: "Lambda",
    config: {
      name: "lam",
      trainable: true,
      dtype: "float32",
      function: [
        "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA+gg8c3RkaW4+2gg8bGFtYmRhPgEAAADzAAAAAA==",
        null,
        null,
      ],
      function_type: "lambda",
      module: "__main__",
      output_shape: null,
      output_shape_type: "raw",
      output_shape_module: null,
      arguments: {},
    },
  };
  const keras3Lambda: JsonObject = {
    module: "keras.layers",
    class_name: "Lambda",
    config: {
      name: "lam",
      function: { class_name: "__lambda__", config: { code: "4wEAAAAAAAAA", defaults: null, closure: null } },
    },
    registered_name: null,
  };

  it("an .h5 with a tf.keras 2 lambda is refused, and the message does not suggest safeMode: false", async () => {
    const path = await writeH5("lambda.h5", await mlpConfig((_, layers) => layers.splice(2, 0, keras2Lambda)));
    const error = await loadError(path);
    expect(error.message).toMatch(/safe mode refuses .*Lambda/);
    expect(error.message).not.toMatch(/safeMode: false/);
    expect(error.message).toMatch(/customObjects/);
  });

  it("a .keras with a __lambda__: refused without pointing at safeMode: false", async () => {
    const path = await writeKeras("lambda.keras", await mlpConfig((_, layers) => layers.splice(2, 0, keras3Lambda)));
    const error = await loadError(path);
    expect(error.message).toMatch(/__lambda__/);
    expect(error.message).not.toMatch(/safeMode: false/);
  });

  it("with a Lambda class given in customObjects, the refusal points at safeMode: false", async () => {
    const path = await writeJson("lambda.json", await mlpConfig((_, layers) => layers.splice(2, 0, keras2Lambda)));
    const error = await loadError(path, { customObjects: { Lambda: keras.layers.Identity } });
    expect(error.message).toMatch(/safeMode: false/);
  });
});

describe("ownership (defect 3)", () => {
  it("load + dispose in a loop leaves no backend tensors behind", async () => {
    const path = fixturePath("models", "mlp_sequential", "model.keras");
    const warm = await keras.models.loadModel(path);
    warm.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      const model = await keras.models.loadModel(path);
      expect(tf.memory().numTensors).toBeGreaterThan(before);
      model[Symbol.dispose]();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a model refused after its layers were built frees them", async () => {
    const before = tf.memory().numTensors;
    const path = await writeKeras(
      "dispose-on-refusal.keras",
      await mlpConfig((_, layers) => ((layerNamed(layers, "hidden").config as JsonObject).units = 11)),
    );
    await loadError(path);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("configs that load but cannot run (fuzz finding)", () => {
  it("a Dense whose input axis was made unknown fails predict with a typed error naming the layer", async () => {
    const a = keras.Input({ shape: [4] });
    const model = new keras.Model({ inputs: a, outputs: new keras.layers.Dense({ units: 5, name: "d" }).apply(a) });
    const json = JSON.parse(model.toJson()) as JsonObject;
    model.dispose();
    const input = ((json.config as JsonObject).layers as JsonObject[])[0]!;
    (input.config as JsonObject).batch_shape = [4, null];
    const loaded = await keras.models.loadModel(await writeJson("unknown-axis.json", json));
    const error = (() => {
      try {
        loaded.predict({ dtype: "float32", shape: [4, 1], data: new Float32Array(4) } as never);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    loaded.dispose();
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/cannot call layer "d" \(Dense\).*\(4, 1\)/);
  });

  it("the same in a Sequential (fuzz: a conv model whose batch_shape was reversed)", async () => {
    const path = await writeJson(
      "sequential-unknown-axis.json",
      await mlpConfig((_, layers) => ((layers[0]!.config as JsonObject).batch_shape = [16, null])),
    );
    const loaded = await keras.models.loadModel(path);
    let error: unknown;
    try {
      loaded.predict({ dtype: "float32", shape: [16, 1], data: new Float32Array(16) } as never);
    } catch (e) {
      error = e;
    }
    loaded.dispose();
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/cannot call layer "hidden" \(Dense\).*\(16, 1\)/);
  });
});

describe("merge layers and failed predictions (fuzz of 2026-12-05)", () => {
  const MERGE = fixturePath("models", "merge_functional", "config.json");
  async function mergeConfig(edit: (layers: JsonObject[]) => void): Promise<JsonObject> {
    const config = JSON.parse(await readFile(MERGE, "utf8")) as JsonObject;
    edit((config.config as JsonObject).layers as JsonObject[]);
    return config;
  }

  it("a merge layer given one tensor (h5#1059: a Dense renamed Concatenate) is a typed refusal, not a TypeError", async () => {
    const path = await writeJson(
      "merge-one-tensor.json",
      await mergeConfig((layers) => {
        layerNamed(layers, "dense_a").class_name = "Concatenate";
        layerNamed(layers, "dense_b").class_name = "Add";
      }),
    );
    const error = await keras.models.loadModel(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/cannot call Concatenate layer "dense_a": it takes a list of tensors/);
  });

  it("a node whose arguments were emptied (keras#1581, seed 17) is a typed refusal, not a TypeError", async () => {
    const path = await writeJson(
      "merge-empty-node.json",
      await mergeConfig((layers) => {
        // Keras 2's spelling of a node with no tensors.
        layerNamed(layers, "dense_a").inbound_nodes = [[]];
      }),
    );
    const error = await keras.models.loadModel(path).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/inbound nodes of layer "dense_a": the node passes no input tensor/);
  });

  it("a prediction a layer refuses halfway leaves no tensor behind (h5#389: concat axis 1.5)", async () => {
    const path = await writeJson(
      "merge-bad-axis.json",
      await mergeConfig((layers) => ((layerNamed(layers, "out_concat").config as JsonObject).axis = 1.5)),
    );
    const loaded = await keras.models.loadModel(path);
    const before = tf.memory().numTensors;
    const row = { dtype: "float32", shape: [1, 4], data: new Float32Array(4) };
    expect(() => loaded.predict([row, row] as never)).toThrow(KerastoreError);
    expect(tf.memory().numTensors).toBe(before);
    loaded.dispose();
  });
});
