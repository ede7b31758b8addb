import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RandomAccessSource,
  type SavedModelData,
  bytesSource,
  hostTensor,
  isPendingTensor,
  loadTreeValues,
  savedNode,
  treeByteSize,
} from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { fixturePath, readFixture } from "@kerastore/fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { type KerasH5, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "./node.js";
import { datasetsOf, sha256Of } from "./test-support.test-util.js";

function digest(result: KerasH5): string[] {
  return [...datasetsOf(result)].map(([path, t]) => `${path} ${t.dtype} [${t.shape}] ${sha256Of(t)}`).sort();
}

/** A source that counts what is read through it. */
function counting(inner: RandomAccessSource): RandomAccessSource & { reads: number; bytes: number } {
  const out = {
    description: inner.description,
    size: inner.size,
    reads: 0,
    bytes: 0,
    read: (offset: number, length: number) => {
      out.reads++;
      out.bytes += length;
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  return out;
}

describe("reading HDF5 from a random-access source gives what reading the bytes gives", () => {
  for (const file of readdirSync(fixturePath("h5")).filter((f) => f.endsWith(".h5"))) {
    it(file, async () => {
      const bytes = readFixture("h5", file);
      const whole = await readKerasH5(bytes, { name: file });
      const eager = await readKerasH5(bytesSource(bytes, file), { name: file });
      expect(digest(eager)).toEqual(digest(whole));
      const lazy = await readKerasH5(bytesSource(bytes, file), { name: file, values: "lazy" });
      // Lazy over bytes: contiguous datasets pending (viewed only when loaded), chunked ones read.
      const lazyBytes = await readKerasH5(bytes, { name: file, values: "lazy" });
      const pending = (r: KerasH5) => [...datasetsOf(r)].filter(([, t]) => isPendingTensor(t)).length;
      if (file !== "chunked.h5") expect(pending(lazyBytes)).toBe(pending(lazy));
      expect(treeByteSize(lazy.data.root)).toBe(treeByteSize(whole.data.root));
      expect(treeByteSize(lazyBytes.data.root)).toBe(treeByteSize(whole.data.root));
      await loadTreeValues(lazy.data.root);
      await loadTreeValues(lazyBytes.data.root);
      const values = (r: KerasH5) => {
        const out: string[] = [];
        const visit = (node: SavedModelData["root"]): void => {
          for (const v of node.variables) out.push(`${v.path} ${v.value.dtype === "string" ? "s" : sha256Of(v.value)}`);
          for (const e of node.children) visit(e.node);
        };
        visit(r.data.root);
        return out.sort();
      };
      expect(values(lazy)).toEqual(values(whole));
      expect(values(lazyBytes)).toEqual(values(whole));
    });
  }
});

describe("chunked datasets (gzip + shuffle, v1 B-tree chunk index) read natively from a source", () => {
  it("chunked.h5 gives what h5wasm gives, with no fallback", async () => {
    const bytes = readFixture("h5", "chunked.h5");
    const byWasm = await readKerasH5(bytes, { name: "chunked.h5", backend: "h5wasm" });
    const native = await readKerasH5(bytesSource(bytes, "chunked.h5"), { name: "chunked.h5", backend: "native" });
    expect(digest(native)).toEqual(digest(byWasm));
    // From bytes, the synchronous reader still hands chunked data to h5wasm.
    await expect(readKerasH5(bytes, { name: "chunked.h5", backend: "native" })).rejects.toMatchObject({
      code: "unsupported",
    });
  });

  it("a chunk cut short is a typed error, not a wrong tensor", async () => {
    const bytes = readFixture("h5", "chunked.h5").slice();
    const lazy = await readKerasH5(bytesSource(bytes, "chunked.h5"), {
      name: "chunked.h5",
      backend: "native",
      values: "lazy",
    });
    // Damage every chunk's compressed bytes after the metadata was read.
    const kernel =
      lazy.kind !== "keras3-weights"
        ? lazy.legacy.weights.layers[0]!.weights.find((w) => w.shape.length === 4)!
        : undefined;
    expect(kernel && isPendingTensor(kernel)).toBe(true);
    bytes.fill(0, 2048);
    await expect((kernel as unknown as { load(): Promise<unknown> }).load()).rejects.toMatchObject({
      name: "H5Error",
      code: "corrupt",
      message: expect.stringMatching(/chunk/),
    });
  });
});

describe("a large weights file read by range", () => {
  const dir = mkdtempSync(join(tmpdir(), "kerastore-h5-source-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // 8 layers of 4 MiB kernels: 32 MiB of weights, a few KiB of metadata.
  const model = savedNode("Sequential", "big");
  for (let i = 0; i < 8; i++) {
    const kernel = new Float32Array(1024 * 1024).map((_, j) => i + j / 1e6);
    const layer = savedNode("Dense", `dense_${i}`);
    layer.variables.push(
      {
        name: "kernel",
        path: `dense_${i}/kernel`,
        trainable: true,
        value: hostTensor("float32", [1024, 1024], kernel),
      },
      {
        name: "bias",
        path: `dense_${i}/bias`,
        trainable: true,
        value: hostTensor("float32", [1024], new Float32Array(1024).fill(i)),
      },
    );
    model.children.push({ name: `layers`, node: layer });
  }

  it("reads only the metadata when values are lazy, and each tensor once when asked", async () => {
    for (const [name, bytes] of [
      ["big.weights.h5", await writeKeras3WeightsH5({ root: model })],
      ["big.h5", await writeLegacyH5({ root: model }, { weightsOnly: true })],
    ] as const) {
      writeFileSync(join(dir, name), bytes);
      const store = new NodeStore(dir);
      const source = counting(await store.open(name));
      try {
        const lazy = await readKerasH5(source, { name, values: "lazy" });
        expect(source.bytes).toBeLessThan(1024 * 1024);
        expect(treeByteSize(lazy.data.root)).toBe(8 * (4 * 1024 * 1024 + 4096));
        // A partial load: the first layer only.
        const metadata = source.bytes;
        const first = lazy.data.root.children[0]!.node;
        await loadTreeValues(lazy.data.root, {
          filter: (v) => v.path.startsWith(`${first.name}/`) || v.path.includes(`${first.name}/vars`),
        });
        const loaded = first.variables.map((v) => v.value);
        expect(loaded.every((t) => !isPendingTensor(t))).toBe(true);
        expect(source.bytes - metadata).toBe(4 * 1024 * 1024 + 4096);
        expect(isPendingTensor(lazy.data.root.children[1]!.node.variables[0]!.value)).toBe(true);
        expect(() => lazy.data.root.children[1]!.node.variables[0]!.value.data).toThrow(/not loaded/);
        const kernel = loaded[0]!.data as Float32Array;
        expect(kernel[5]).toBeCloseTo(5 / 1e6);
        // Eager: every tensor read once, plus the metadata.
        const before = source.bytes;
        const eager = await readKerasH5(source, { name });
        expect(source.bytes - before).toBeLessThan(8 * (4 * 1024 * 1024 + 4096) + 1024 * 1024);
        expect(digest(eager)).toEqual(digest(await readKerasH5(bytes, { name })));
      } finally {
        await source.close();
      }
    }
  });

  it("a truncated file is a typed error naming the dataset, with no read past the end", async () => {
    const bytes = await writeKeras3WeightsH5({ root: model });
    const cut = bytes.subarray(0, bytes.byteLength - 5 * 1024 * 1024);
    const source = counting(bytesSource(cut, "cut.weights.h5"));
    await expect(readKerasH5(source, { name: "cut.weights.h5", values: "lazy" })).rejects.toMatchObject({
      code: "corrupt",
      message: expect.stringMatching(/runs past the end of the file/),
    });
    expect(source.bytes).toBeLessThan(2 * 1024 * 1024);
  });
});

describe("optimizer: false (a conversion to a format without optimizer state)", () => {
  it("leaves /optimizer_weights unread: the same layers and weights, no optimizer node, from bytes and from a source", async () => {
    // seq.h5: a compiled Sequential with its Adam state in /optimizer_weights.
    const bytes = readFixture("h5", "seq.h5");
    const full = await readKerasH5(bytes, { name: "seq.h5", values: "lazy" });
    if (full.kind === "keras3-weights") throw new Error("expected a legacy .h5");
    expect(full.legacy.optimizerWeights.length).toBeGreaterThan(0);
    expect(full.data.root.children.some((e) => e.name === "optimizer")).toBe(true);
    for (const input of [bytes, bytesSource(bytes, "seq.h5")]) {
      const lean = await readKerasH5(input, { name: "seq.h5", values: "lazy", optimizer: false });
      if (lean.kind === "keras3-weights") throw new Error("expected a legacy .h5");
      expect(lean.legacy.optimizerWeights).toEqual([]);
      expect(lean.data.root.children.map((e) => e.name)).toEqual(
        full.data.root.children.filter((e) => e.name !== "optimizer").map((e) => e.name),
      );
      expect(lean.legacy.weights.layers.map((l) => l.weightNames)).toEqual(
        full.legacy.weights.layers.map((l) => l.weightNames),
      );
      const layer = lean.legacy.weights.layers.find((l) => l.weights.length > 0)!;
      const value = layer.weights[0]!;
      expect(isPendingTensor(value) ? (await value.load()).shape : value.shape).toEqual(
        full.legacy.weights.layers.find((l) => l.name === layer.name)!.weights[0]!.shape,
      );
    }
  });
});

describe("a source that reads synchronously (a file held open)", () => {
  /** A synchronous source over `bytes` counting what it reads. */
  function syncSource(bytes: Uint8Array) {
    const out = {
      description: "sync.h5",
      size: bytes.byteLength,
      bytes: 0,
      readSync(offset: number, length: number): Uint8Array {
        out.bytes += length;
        return bytes.slice(offset, offset + length);
      },
      read: async (offset: number, length: number) => out.readSync(offset, length),
      close: async () => undefined,
    };
    return out;
  }

  it("gives what the bytes give, reading only the blocks the parse walks and the datasets loaded", async () => {
    const bytes = readFixture("h5", "seq.h5");
    const treeDigest = (root: SavedModelData["root"]): string[] => {
      const out: string[] = [];
      const visit = (node: SavedModelData["root"]): void => {
        for (const v of node.variables) out.push(`${v.path} ${v.value.dtype === "string" ? "s" : sha256Of(v.value)}`);
        for (const e of node.children) visit(e.node);
      };
      visit(root);
      return out;
    };
    const expected = treeDigest((await readKerasH5(bytes, { name: "seq.h5" })).data.root);
    const source = syncSource(bytes);
    const lazy = await readKerasH5(source, { name: "seq.h5", values: "lazy" });
    await loadTreeValues(lazy.data.root);
    expect(treeDigest(lazy.data.root)).toEqual(expected);
    // The optimizer's part is not walked: fewer bytes than a full read.
    const lean = syncSource(bytes);
    const noOptimizer = await readKerasH5(lean, { name: "seq.h5", values: "lazy", optimizer: false });
    await loadTreeValues(noOptimizer.data.root);
    const modelOnly = treeDigest((await readKerasH5(bytes, { name: "seq.h5", optimizer: false })).data.root);
    expect(modelOnly.length).toBeLessThan(expected.length);
    expect(treeDigest(noOptimizer.data.root)).toEqual(modelOnly);
    expect(lean.bytes).toBeLessThan(source.bytes);
  });

  it("a 32 MiB weights file: metadata blocks only until a tensor is loaded, then that tensor's bytes", async () => {
    const model = savedNode("Sequential", "big");
    for (let i = 0; i < 8; i++) {
      const layer = savedNode("Dense", `dense_${i}`);
      const kernel = new Float32Array(1024 * 1024).fill(i + 0.5);
      layer.variables.push({
        name: "kernel",
        path: `dense_${i}/kernel`,
        trainable: true,
        value: hostTensor("float32", [1024, 1024], kernel),
      });
      model.children.push({ name: "layers", node: layer });
    }
    const bytes = await writeLegacyH5({ root: model }, { weightsOnly: true });
    const source = syncSource(bytes);
    const read = await readKerasH5(source, { name: "big.h5", values: "lazy" });
    expect(source.bytes).toBeLessThan(1024 * 1024);
    const before = source.bytes;
    const value = [...datasetsOf(read).values()][3]!;
    if (!isPendingTensor(value)) throw new Error("expected a PendingTensor");
    const loaded = await value.load();
    expect(source.bytes - before).toBe(4 * 1024 * 1024);
    expect((loaded.data as Float32Array)[12345]).toBe(3.5);
  });
});
