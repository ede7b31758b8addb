// A third-party format, written only against the public packages (`kerastore` for the seam's
// types, `@kerastore/core` for .npy and atomic file sets): a model as a folder of `.npy`
// weights, one subfolder per layer, beside its Keras config (`model.json`) and an index.
//
// It is a plug-in too: the `kerastore` CLI loads it with `--plugin <this file or its package>`,
// because it exports `kerastoreFormats`.

import type { NumericHostTensor } from "@kerastore/core";
import {
  type JsonObject,
  joinPath,
  readNpy,
  type SavedNode,
  utf8Decode,
  utf8Encode,
  writeFileSet,
  writeNpy,
} from "@kerastore/core";
import type { ModelReader, ModelWriter } from "kerastore";

const INDEX = "npy-weights.json";
const CONFIG = "model.json";

/** This writer's own options, typed: `save(model, path, { settings: { indent: 2 } })`. */
export interface NpyFolderOptions {
  /** Indent the JSON files by this many spaces (default: none). */
  readonly indent?: number | undefined;
}

interface Index {
  readonly layers: { readonly name: string; readonly className: string; readonly weights: string[] }[];
}

const HOLDS = { architecture: true, weights: true, optimizer: false } as const;

export const npyFolderFormat: ModelReader & ModelWriter<NpyFolderOptions> = {
  name: "npy-folder",
  description: "a folder of .npy weights, one subfolder per layer, with the model's config",
  extensions: [".npyfolder"],
  holds: HOLDS,
  // A directory: recognized by its index, whatever its name.
  async sniffLocation({ store, path }) {
    return (await store.isDirectory(path)) && (await store.exists(joinPath(path, INDEX)));
  },
  async read({ store, path }) {
    const index = JSON.parse(utf8Decode(await store.read(joinPath(path, INDEX)))) as Index;
    const root: SavedNode = { className: "Model", variables: [], children: [] };
    for (const layer of index.layers) {
      const node: SavedNode = { className: layer.className, name: layer.name, variables: [], children: [] };
      for (const [i, weightPath] of layer.weights.entries()) {
        const file = joinPath(path, layer.name, `${i}.npy`);
        node.variables.push({
          name: String(i),
          path: weightPath,
          trainable: true,
          value: readNpy(await store.read(file), file),
        });
      }
      root.children.push({ name: layer.name, node });
    }
    const hasConfig = await store.exists(joinPath(path, CONFIG));
    const modelConfig = hasConfig
      ? (JSON.parse(utf8Decode(await store.read(joinPath(path, CONFIG)))) as JsonObject)
      : undefined;
    // Layer edges in model order, each with its whole weight list: they pair by topology.
    const holds = { ...HOLDS, architecture: hasConfig };
    return {
      data: { root, modelConfig },
      layout: "layer-list",
      holds,
      format: "npy-folder",
      description: npyFolderFormat.description,
    };
  },
  // Keras 3's config; no optimizer state.
  plan: () => ({ dialect: "keras3", computes: "by-name", optimizer: false }),
  async write(location, data, options) {
    const indent = options.indent ?? 0;
    if (!Number.isInteger(indent) || indent < 0 || indent > 10)
      throw new RangeError(`cannot write ${location.path}: indent ${indent} is not 0..10`);
    // The folder's files change as one set: a reader never sees half of a save.
    await writeFileSet(location.store, location.path, async (store) => {
      const index: Index = { layers: [] };
      for (const edge of data.root.children) {
        if (edge.name === "optimizer") continue;
        for (const [i, v] of edge.node.variables.entries()) {
          await store.write(joinPath(location.path, edge.name, `${i}.npy`), writeNpy(v.value as NumericHostTensor));
        }
        index.layers.push({
          name: edge.name,
          className: edge.node.className,
          weights: edge.node.variables.map((v) => v.path),
        });
      }
      if (!options.weightsOnly && data.modelConfig !== undefined) {
        await store.write(joinPath(location.path, CONFIG), utf8Encode(JSON.stringify(data.modelConfig, null, indent)));
      }
      await store.write(joinPath(location.path, INDEX), utf8Encode(JSON.stringify(index, null, indent)));
    });
  },
};

/** What the `kerastore` CLI looks for in a plug-in. */
export const kerastoreFormats = [npyFolderFormat];
