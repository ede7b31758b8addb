// Adding a file format of your own: implement `ModelFormat` over plain data (the saved object
// tree, docs/saved-tree.md) and add it to a registry; `saveWeights` / `loadWeights` /
// `loadModel` then pick it by name, extension or content like the built-in formats.
//
// This one stores each layer's weights as `.npy` files in a folder, with a small index.
import { ok, strictEqual } from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SavedNode, readNpy, toFloat32, writeNpy } from "@kerastore/core";
import type { NumericHostTensor } from "@kerastore/core";
import { type ModelFormat, defaultFormatRegistry, keras, loadWeights, saveWeights } from "kerastore";

const INDEX = "npy-weights.json";

const npyFolderFormat: ModelFormat = {
  name: "npy-folder",
  description: "a folder of .npy weights, one subfolder per layer",
  extensions: [".npyweights"],
  holds: { architecture: false, weights: true, optimizer: false },
  // Layer edges in model order, each with its whole weight list: pairs by topology or by name.
  layout: "layer-list",
  async sniffLocation({ store, path }) {
    return store.exists(`${path}/${INDEX}`);
  },
  async write({ store, path }, data) {
    const layers: { name: string; weights: string[] }[] = [];
    for (const edge of data.root.children) {
      if (edge.name === "optimizer") continue;
      const weights = edge.node.variables.map((v) => v.path);
      for (const [i, v] of edge.node.variables.entries()) {
        await store.write(`${path}/${edge.name}/${i}.npy`, writeNpy(v.value as NumericHostTensor));
      }
      layers.push({ name: edge.name, weights });
    }
    await store.write(`${path}/${INDEX}`, new TextEncoder().encode(JSON.stringify({ layers })));
  },
  async read({ store, path }) {
    const index = JSON.parse(new TextDecoder().decode(await store.read(`${path}/${INDEX}`))) as {
      layers: { name: string; weights: string[] }[];
    };
    const root: SavedNode = { className: "Model", variables: [], children: [] };
    for (const layer of index.layers) {
      const node: SavedNode = { className: "Layer", name: layer.name, variables: [], children: [] };
      for (const [i, weightPath] of layer.weights.entries()) {
        const file = `${path}/${layer.name}/${i}.npy`;
        node.variables.push({ name: String(i), path: weightPath, trainable: true, value: readNpy(await store.read(file), file) });
      }
      root.children.push({ name: layer.name, node });
    }
    return { root };
  },
};

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const formats = defaultFormatRegistry();
    formats.add(npyFolderFormat);

    const model = new keras.Sequential({
      layers: [keras.Input({ shape: [4] }), new keras.layers.Dense({ units: 3, name: "hidden" }), new keras.layers.Dense({ units: 2, name: "out" })],
    });
    const target = join(dir, "model.npyweights");
    await saveWeights(model, target, { formats });
    strictEqual((await readdir(target)).sort().join(","), `hidden,${INDEX},out`);

    const other = keras.models.cloneModel(model);
    const result = await loadWeights(other, target, { formats });
    strictEqual(result.format, "npy-folder");
    strictEqual(result.loaded, 4);
    for (const [i, w] of model.getWeights().entries()) {
      const back = toFloat32(other.getWeights()[i]!);
      ok(toFloat32(w).every((v, j) => v === back[j]), `weight ${i} round-trips`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
