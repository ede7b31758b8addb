import { type JsonObject, type SavedModelData, cannot, openSource, rangeSource } from "@kerastore/core";
import { isHdf5, keras3WeightsH5Chunks, legacyH5Chunks, readKerasH5 } from "@kerastore/h5";
import { FacadeError } from "../errors.js";
import type { FormatLocation, FormatReadOptions, FormatWriteOptions, ModelFormat } from "./format.js";

/**
 * Keras's legacy single-file HDF5 model (`model.save("m.h5")`) and the Keras 2 weights-only
 * `.h5` (`save_weights("w.h5")`).
 *
 * Writes the Keras 2 dialect by default, which tf.keras 2.x and Keras 3 both load; pass
 * `settings: { dialect: "keras3" }` for what Keras 3's own writer gives.
 */
export const legacyH5Format: ModelFormat = {
  name: "h5",
  description: "Keras HDF5 model (.h5: architecture, weights, compile information, optimizer state)",
  extensions: [".h5", ".hdf5"],
  holds: { architecture: true, weights: true, optimizer: true },
  layout: "layer-list",
  sniff: (head) => isHdf5(head),
  read: (location, options) => readH5(location, options),
  async write(location, data, options) {
    const settings: JsonObject = options.settings ?? {};
    const dialect = settings.dialect === "keras3" ? "keras3" : "keras2";
    // Chunks, not one buffer: tensor bytes go to the file straight from the model's arrays.
    const chunks = legacyH5Chunks(data, {
      dialect,
      weightsOnly: settings.weightsOnly === true,
      includeOptimizer: options.includeOptimizer !== false,
      name: location.path,
    });
    await location.store.write(location.path, chunks);
  },
};

/** Keras 3's weights file (`model.save_weights("m.weights.h5")`). */
export const weightsH5Format: ModelFormat = {
  name: "weights-h5",
  description: "Keras 3 weights file (.weights.h5: weights and optimizer variables)",
  extensions: [".weights.h5"],
  holds: { architecture: false, weights: true, optimizer: true },
  layout: "walk-path",
  sniff: (head) => isHdf5(head),
  read: (location, options) => readH5(location, options),
  async write(location, data, options) {
    const tree = options.includeOptimizer === false ? withoutOptimizer(data) : data;
    await location.store.write(location.path, keras3WeightsH5Chunks(tree, { name: location.path }));
  },
};

async function readH5(location: FormatLocation, options: FormatReadOptions): Promise<SavedModelData> {
  if (options.values === "lazy") {
    // Nothing held open: each PendingTensor reads its range when (if) it is loaded.
    const source = await rangeSource(location.store, location.path);
    return (await readKerasH5(source, { name: location.path, values: "lazy" })).data;
  }
  // By range: the metadata first, then each dataset into a buffer of its own (no whole-file buffer).
  const source = await openSource(location.store, location.path);
  try {
    return (await readKerasH5(source, { name: location.path })).data;
  } finally {
    await source.close();
  }
}

/** The H5 reader tells the two HDF5 layouts apart by content: which one a file really is. */
export async function h5LayoutOf(location: FormatLocation): Promise<ModelFormat> {
  // The metadata tells the layout: no dataset is read.
  const source = await openSource(location.store, location.path);
  try {
    const file = await readKerasH5(source, { name: location.path, values: "lazy" });
    return file.kind === "keras3-weights" ? weightsH5Format : legacyH5Format;
  } finally {
    await source.close();
  }
}

function withoutOptimizer(data: SavedModelData): SavedModelData {
  return { ...data, root: { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") } };
}

/** Refuses a write a format cannot do, naming the format. */
export function cannotWrite(format: ModelFormat, path: string, reason: string): never {
  throw new FacadeError("format-cannot-write", cannot("write", `${path} as ${format.name}`, reason), { path });
}

export type { FormatWriteOptions };
