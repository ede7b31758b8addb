import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type HostTensor, MemoryStore, type SavedNode, childOf, walkSavedTree } from "@kerastore/core";
import { readFixture, readFixtureJson, readFixtureNpy, realworld } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import {
  KerasV3Error,
  extractKerasArchive,
  openKerasArchive,
  readKerasArchive,
  writeKerasArchive,
  writeKerasArchiveTo,
  writeKerasDirectory,
} from "./index.js";

interface WeightPath {
  path: string;
  shape: number[];
  dtype: string;
  trainable: boolean;
}
const models = readFixtureJson<{ models: { name: string; files: string[]; class_name: string; weights: number }[] }>(
  "models",
  "index.json",
).models;
const kerasModels = models.filter((m) => m.files.includes("model.keras"));

/** The variables of each named node, excluding the optimizer's. */
function variablesByOwner(root: SavedNode): Map<string, HostTensor[]> {
  const out = new Map<string, HostTensor[]>();
  for (const { node, path } of walkSavedTree(root)) {
    if (path[0] === "optimizer" || node.variables.length === 0) continue;
    expect(out.has(node.name!), `two nodes named ${node.name}`).toBe(false);
    out.set(
      node.name!,
      node.variables.map((v) => v.value),
    );
  }
  return out;
}

function expectSameTensor(actual: HostTensor | undefined, expected: HostTensor, what: string): void {
  expect(actual, what).toBeDefined();
  expect(actual!.dtype, what).toBe(expected.dtype);
  expect(actual!.shape, what).toEqual(expected.shape);
  const bytes = (t: HostTensor) => {
    const d = t.data as Uint8Array;
    return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  };
  expect(bytes(actual!).equals(bytes(expected)), what).toBe(true);
}

describe("reading Keras's .keras fixtures", () => {
  it.each(kerasModels.map((m) => [m.name, m] as const))(
    "%s: structure and weights equal to weights/*.npy",
    async (name, model) => {
      const archive = await readKerasArchive(readFixture("models", name, "model.keras"), {
        name: `${name}/model.keras`,
      });
      expect(archive.form).toBe("zip");
      expect(archive.weightsFormat).toBe("h5");
      expect(archive.metadata?.kerasVersion).toBe("3.15.1");
      expect(archive.config.class_name).toBe(model.class_name);
      const { root } = archive.data;
      expect(root.className).toBe(model.class_name);
      expect(root.config).toEqual(archive.config.config);
      expect(archive.data.modelConfig).toBe(archive.config);

      // Layer edges follow config order (model.layers); Sequential has no InputLayer edge.
      const configLayers = (archive.config.config as { layers: { class_name: string; config: { name: string } }[] })
        .layers;
      const layerEdges = root.children.filter((e) => e.name !== "optimizer");
      const expectedLayers = configLayers.filter(
        (l) => !(model.class_name === "Sequential" && l.class_name === "InputLayer"),
      );
      expect(layerEdges.map((e) => e.name)).toEqual(expectedLayers.map((l) => l.config.name));
      expect(layerEdges.map((e) => e.node.className)).toEqual(expectedLayers.map((l) => l.class_name));

      // Every weight of model.get_weights() is in the tree, under its layer, in Keras order.
      const paths = readFixtureJson<WeightPath[]>("models", name, "weight_paths.json");
      expect(paths.length).toBe(model.weights);
      const owners = variablesByOwner(root);
      const taken = new Map<string, number>();
      const byOwner = new Map<string, number[]>();
      paths.forEach((p, i) => {
        const owner = p.path.split("/").slice(-2, -1)[0]!;
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), i]);
      });
      for (const [owner, indices] of byOwner) {
        // Within one layer, trainable come before non-trainable (save_own_variables order).
        const ordered = [...indices.filter((i) => paths[i]!.trainable), ...indices.filter((i) => !paths[i]!.trainable)];
        for (const i of ordered) {
          const k = taken.get(owner) ?? 0;
          taken.set(owner, k + 1);
          expectSameTensor(
            owners.get(owner)?.[k],
            readFixtureNpy("models", name, "weights", `${i}.npy`),
            `${name} weight ${i} (${paths[i]!.path})`,
          );
        }
      }
      let total = 0;
      for (const values of owners.values()) total += values.length;
      expect(total).toBe(paths.length);
    },
  );

  it("get_model: the optimizer's class, config and state after one epoch", async () => {
    const archive = await readKerasArchive(readFixture("models", "get_model", "model.keras"));
    const optimizer = childOf(archive.data.root, "optimizer")!;
    expect(optimizer.className).toBe("Adam");
    expect(optimizer.name).toBe("adam");
    expect(optimizer.config?.beta_1).toBe(0.9);
    expect(archive.data.trainingConfig?.loss).toBe("mean_squared_error");
    // iteration, learning_rate, then momentum/velocity for kernel and bias.
    expect(optimizer.variables.map((v) => [v.value.dtype, v.value.shape])).toEqual([
      ["int64", []],
      ["float32", []],
      ["float32", [32, 1]],
      ["float32", [32, 1]],
      ["float32", [1]],
      ["float32", [1]],
    ]);
    // 128 samples in batches of 32: four steps.
    expect((optimizer.variables[0]!.value.data as BigInt64Array)[0]).toBe(4n);
    expect((optimizer.variables[1]!.value.data as Float32Array)[0]).toBeCloseTo(0.001, 7);
  });
});

describe("writing .keras archives", () => {
  it.each(kerasModels.map((m) => m.name))("%s: write -> read gives the same config, tree and weights", async (name) => {
    const first = await readKerasArchive(readFixture("models", name, "model.keras"));
    const date = new Date(2025, 0, 2, 3, 4, 6);
    const bytes = await writeKerasArchive(first.data, { date });
    const again = await readKerasArchive(bytes, { name: "ours.keras" });
    expect(again.members).toEqual(["metadata.json", "config.json", "model.weights.h5"]);
    expect(again.metadata?.raw).toEqual({ keras_version: "3.15.1", date_saved: "2025-01-02@03:04:06" });
    expect(again.config).toEqual(first.config);
    const a = [...walkSavedTree(first.data.root)];
    const b = [...walkSavedTree(again.data.root)];
    expect(b.map((x) => [x.path.join("/"), x.node.className, x.node.name])).toEqual(
      a.map((x) => [x.path.join("/"), x.node.className, x.node.name]),
    );
    a.forEach((x, i) => {
      x.node.variables.forEach((v, j) => {
        expectSameTensor(b[i]!.node.variables[j]?.value, v.value, `${x.path.join("/")}[${j}]`);
      });
    });
  });

  it("writes to a Store atomically, in the directory form, and with assets", async () => {
    const first = await readKerasArchive(readFixture("models", "mlp_sequential", "model.keras"));
    const store = new MemoryStore();
    const assets = [{ path: "string_lookup/vocabulary.txt", data: new TextEncoder().encode("a\nb\n") }];
    await writeKerasArchiveTo(store, "out/model.keras", first.data, { assets });
    const zipped = await readKerasArchive(store, { path: "out/model.keras" });
    expect(zipped.members).toEqual([
      "metadata.json",
      "config.json",
      "model.weights.h5",
      "assets/string_lookup/vocabulary.txt",
    ]);
    expect(new TextDecoder().decode(zipped.assets[0]!.data)).toBe("a\nb\n");
    await writeKerasDirectory(store, "dir", first.data, { assets });
    const unzipped = await readKerasArchive(store, { path: "dir" });
    expect(unzipped.form).toBe("directory");
    expect(unzipped.assets.map((a) => a.path)).toEqual(["string_lookup/vocabulary.txt"]);
    expect(unzipped.config).toEqual(zipped.config);
    await extractKerasArchive(store, store, "extracted", { path: "out/model.keras" });
    expect((await openKerasArchive(store, { path: "extracted" })).names).toContain(
      "assets/string_lookup/vocabulary.txt",
    );
    await expect(
      writeKerasArchive(first.data, { assets: [{ path: "../x", data: new Uint8Array(1) }] }),
    ).rejects.toMatchObject({
      code: "invalid-argument",
    });
  });

  it("refuses to write without a model config", async () => {
    const first = await readKerasArchive(readFixture("models", "get_model", "model.keras"));
    const error = await writeKerasArchive({ root: first.data.root }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerasV3Error);
    expect((error as KerasV3Error).message).toContain("pass options.config");
  });
});

describe("real-world .keras files", () => {
  const rw = realworld();
  it.skipIf(!rw.dir)(
    `reads the Keras 3.10 archive's weights${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
    async () => {
      const file = "Aman-21k__cnn-fashion-mnist-classifier__model.keras";
      const archive = await readKerasArchive(new Uint8Array(readFileSync(join(rw.dir!, file))), { name: file });
      expect(archive.metadata?.kerasVersion).toBe("3.10.0");
      const conv = archive.data.root.children.find((e) => e.node.className === "Conv2D");
      expect(conv).toBeDefined();
      expect(conv!.node.variables.length).toBe(2);
      expect(conv!.node.variables[0]!.value.shape.length).toBe(4);
    },
  );
});
