import { readFile } from "node:fs/promises";
import { MemoryStore, type NumericHostTensor, type Store } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import {
  builtinFormats,
  createFormatRegistry,
  defaultFormatRegistry,
  type FormatLocation,
  keras,
  legacyH5Format,
  loadModel,
  loadWeights,
  type ModelReader,
  type ModelWriter,
  saveModel,
  saveWeights,
} from "../node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

beforeAll(async () => {
  await keras.ready();
});

/** A store over memory that counts what is read of each file: whole reads and bytes. */
class CountingStore extends MemoryStore {
  readonly reads = new Map<string, { whole: number; bytes: number }>();
  private count(path: string, bytes: number, whole: boolean) {
    const c = this.reads.get(path) ?? { whole: 0, bytes: 0 };
    this.reads.set(path, { whole: c.whole + (whole ? 1 : 0), bytes: c.bytes + bytes });
  }
  override async read(path: string): Promise<Uint8Array> {
    const bytes = await super.read(path);
    this.count(path, bytes.length, true);
    return bytes;
  }
  override async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    const bytes = await super.readRange(path, offset, length);
    this.count(path, bytes.length, false);
    return bytes;
  }
}

async function storeWith(files: Record<string, string>): Promise<CountingStore> {
  const store = new CountingStore();
  for (const [path, fixture] of Object.entries(files)) await store.write(path, new Uint8Array(await readFile(fixture)));
  return store;
}

const mlp = (file: string) => fixturePath("models", "mlp_sequential", file);

describe(".h5 loads parse the file once", () => {
  it("loadModel of an auto-detected .h5 reads it once, by range (plus the 512-byte sniff), and predicts as Keras did", async () => {
    const store = await storeWith({ "m.h5": mlp("model.h5") });
    const size = await store.size("m.h5");
    const model = await loadModel({ store, path: "m.h5" });
    // By range (issue 21): never the whole file in one buffer, and its bytes about once (the
    // metadata block, here the whole small file, then each dataset): a second parse would
    // read it all again.
    expect(store.reads.get("m.h5")!.whole).toBe(0);
    expect(store.reads.get("m.h5")!.bytes).toBeLessThan(1.5 * size + 512);
    expectAllClose(
      model.predict(readFixtureNpy("models", "mlp_sequential", "input0.npy")) as NumericHostTensor,
      readFixtureNpy("models", "mlp_sequential", "output0.npy"),
      { rtol: 1e-5, floor: 1e-3 },
    );
  });

  it("loadWeights of a Keras 3 weights file named .h5 reads it once, by range, and finds its walk-path layout in what it read", async () => {
    const store = await storeWith({ "w.h5": mlp("model.weights.h5") });
    const model = await loadModel(mlp("model.keras"));
    const fresh = keras.models.cloneModel(model);
    const result = await loadWeights(fresh, { store, path: "w.h5" });
    expect(result.format).toBe("weights-h5");
    expect(store.reads.get("w.h5")!.whole).toBe(0);
    expect(store.reads.get("w.h5")!.bytes).toBeLessThan(1.5 * (await store.size("w.h5")) + 512);
    const x = readFixtureNpy("models", "mlp_sequential", "input0.npy");
    expectAllClose(fresh.predict(x) as NumericHostTensor, readFixtureNpy("models", "mlp_sequential", "output0.npy"), {
      rtol: 1e-5,
      floor: 1e-3,
    });
  });
});

/** A reader and writer that wraps another, counting its calls (a user's replacement). */
function counting<F extends ModelReader & ModelWriter>(inner: F, calls: string[]): ModelReader & ModelWriter {
  return {
    name: inner.name,
    description: `counted ${inner.description}`,
    extensions: inner.extensions,
    holds: inner.holds,
    sniff: (head) => inner.sniff?.(head) ?? false,
    sniffLocation: (location: FormatLocation) => inner.sniffLocation?.(location) ?? Promise.resolve(false),
    async read(location, options) {
      calls.push(`read ${location.path}`);
      return inner.read(location, options);
    },
    plan: (options) => inner.plan(options),
    async write(location, data, options) {
      calls.push(`write ${location.path}`);
      await inner.write(location, data, options);
    },
  };
}

describe("a user's format replaces a built-in one", () => {
  it("named like the built-in h5 format, it is the one loadModel, save and saveWeights call", async () => {
    const calls: string[] = [];
    const formats = defaultFormatRegistry();
    formats.add(counting(legacyH5Format, calls));
    // In the built-in's place: detection tries it where h5 was.
    expect(formats.formats.map((f) => f.name)).toEqual(builtinFormats.map((f) => f.name));
    const store = new MemoryStore();
    const model = await loadModel(mlp("model.h5"), { formats });
    await saveModel(model, { store, path: "copy.h5" }, { formats });
    await saveWeights(model, { store, path: "w.h5" }, { formats });
    const back = await loadModel({ store, path: "copy.h5" }, { formats });
    expect(calls).toEqual(["read model.h5", "write copy.h5", "write w.h5", "read copy.h5"]);
    const x = readFixtureNpy("models", "mlp_sequential", "input0.npy");
    expectAllClose(back.predict(x) as NumericHostTensor, model.predict(x) as NumericHostTensor, {
      rtol: 0,
      floor: 1e-3,
    });
  });

  it("named checkpoint, it is the one saveWeights writes a prefix with (no bypass of format.write)", async () => {
    const written: string[] = [];
    const replacement: ModelWriter = {
      name: "checkpoint",
      description: "a user's checkpoint writer",
      extensions: [".index"],
      holds: { architecture: false, weights: true, optimizer: false },
      plan: () => ({ dialect: "keras3", computes: "by-name", optimizer: false }),
      async write({ store, path }, data, options) {
        expect(options.weightsOnly).toBe(true);
        written.push(`${path}: ${data.root.children.map((e) => e.name).join(",")}`);
        await store.write(`${path}.mine`, new Uint8Array([1]));
      },
    };
    const formats = createFormatRegistry([...builtinFormats, replacement]);
    const store = new MemoryStore();
    const model = await loadModel(mlp("model.keras"));
    await saveWeights(model, { store, path: "ckpt/weights" }, { formats });
    expect(written).toEqual([`ckpt/weights: ${model.layers.map((l) => l.name).join(",")}`]);
    expect(await store.exists("ckpt/weights.mine")).toBe(true);
    expect(await store.exists("ckpt/weights.index")).toBe(false);
  });

  it("a writer alone cannot be read with, and a format with neither side is refused", async () => {
    const writerOnly: ModelWriter = {
      name: "sink",
      description: "writes nothing readable",
      extensions: [".sink"],
      holds: { architecture: true, weights: true, optimizer: false },
      plan: () => ({ dialect: "keras3", computes: "by-name", optimizer: false }),
      write: async ({ store, path }) => store.write(path, new Uint8Array([0])),
    };
    const formats = createFormatRegistry([...builtinFormats, writerOnly]);
    const store: Store = new MemoryStore();
    await saveModel(await loadModel(mlp("model.keras")), { store, path: "m.sink" }, { formats });
    await expect(loadModel({ store, path: "m.sink" }, { formats, format: "sink" })).rejects.toThrow(
      /no format by that name can read/,
    );
    expect(() => formats.add({ name: "nothing" } as unknown as ModelWriter)).toThrow(
      /cannot add format "nothing": it has neither read\(\) nor plan\(\) and write\(\)/,
    );
  });

  it("asking for tfjs without its plug-in names the package to install", async () => {
    const store: Store = new MemoryStore();
    await expect(
      saveModel(await loadModel(mlp("model.keras")), { store, path: "web" }, { format: "tfjs" }),
    ).rejects.toThrow(/"tfjs" comes with the @kerastore\/tfjs-layers-format package: install it beside kerastore/);
  });
});
