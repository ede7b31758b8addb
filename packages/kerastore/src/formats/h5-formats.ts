import { cannot, openSource, type RandomAccessSource, rangeSource, type SavedModelData } from "@kerastore/core";
import { isHdf5, type KerasH5, keras3WeightsH5Chunks, legacyH5Chunks, readKerasH5 } from "@kerastore/h5";
import { FacadeError } from "../errors.js";
import type {
  FormatHolds,
  FormatLocation,
  ModelReader,
  ModelReadResult,
  ModelWriter,
  ReadOptions,
  WriteOptions,
  WritePlan,
} from "./format.js";

/** The legacy H5 writer's own options (`settings` of `save`). */
export interface H5WriteOptions {
  /**
   * `keras2` (default): the dialect tf.keras 2.x and Keras 3 both load; `keras3`: what Keras 3's
   * own legacy H5 writer gives.
   */
  readonly dialect?: "keras2" | "keras3" | undefined;
}

const LEGACY_HOLDS: FormatHolds = { architecture: true, weights: true, optimizer: true };
const WEIGHTS_ONLY_HOLDS: FormatHolds = { architecture: false, weights: true, optimizer: false };
const KERAS3_WEIGHTS_HOLDS: FormatHolds = { architecture: false, weights: true, optimizer: true };
const LEGACY_DESCRIPTION = "Keras HDF5 model (.h5: architecture, weights, compile information, optimizer state)";
const WEIGHTS_ONLY_DESCRIPTION =
  "Keras HDF5 weights only (save_weights: no architecture; load into a built model with model.loadWeights)";
const KERAS3_WEIGHTS_DESCRIPTION = "Keras 3 weights file (.weights.h5: weights and optimizer variables)";

/**
 * Keras's legacy single-file HDF5 model (`model.save("m.h5")`) and the Keras 2 weights-only
 * `.h5` (`save_weights("w.h5")`).
 *
 * Writes the Keras 2 dialect by default, which tf.keras 2.x and Keras 3 both load; pass
 * `settings: { dialect: "keras3" }` for what Keras 3's own writer gives.
 */
export const legacyH5Format: ModelReader & ModelWriter<H5WriteOptions> = {
  name: "h5",
  description: LEGACY_DESCRIPTION,
  extensions: [".h5", ".hdf5"],
  holds: LEGACY_HOLDS,
  sniff: (head) => isHdf5(head),
  read: (location, options) => readH5(location, options),
  plan(options): WritePlan {
    const dialect = dialectOf(options);
    return {
      dialect: dialect === "keras3" ? "h5-keras3" : "h5-keras2",
      computes: "by-name",
      optimizer: !options.weightsOnly && options.includeOptimizer,
    };
  },
  async write(location, data, options) {
    // Chunks, not one buffer: tensor bytes go to the file straight from the model's arrays.
    const chunks = legacyH5Chunks(data, {
      dialect: dialectOf(options),
      weightsOnly: options.weightsOnly,
      includeOptimizer: options.includeOptimizer && !options.weightsOnly,
      name: location.path,
    });
    await location.store.write(location.path, chunks);
  },
};

/** Keras 3's weights file (`model.save_weights("m.weights.h5")`). */
export const weightsH5Format: ModelReader & ModelWriter = {
  name: "weights-h5",
  description: KERAS3_WEIGHTS_DESCRIPTION,
  extensions: [".weights.h5"],
  holds: KERAS3_WEIGHTS_HOLDS,
  sniff: (head) => isHdf5(head),
  read: (location, options) => readH5(location, options),
  plan: (options) => ({ dialect: "keras3", computes: "by-name", optimizer: options.includeOptimizer }),
  async write(location, data, options) {
    const tree = options.includeOptimizer ? data : withoutOptimizer(data);
    await location.store.write(location.path, keras3WeightsH5Chunks(tree, { name: location.path }));
  },
};

/**
 * Reads either HDF5 layout, parsing the file once and by range (the metadata first, then each
 * dataset into a buffer of its own; no whole-file buffer): which layout it is (a legacy model,
 * Keras 2 weights only, a Keras 3 weights file) is a property of what was read, whatever the name.
 * With `values: "lazy"` nothing is held open: each PendingTensor reads its range when loaded (a
 * file up to WHOLE_READ_BYTES is read at once instead, its PendingTensors views of that buffer).
 */
async function readH5(location: FormatLocation, options: ReadOptions): Promise<ModelReadResult> {
  const lazy = options.values === "lazy";
  const optimizer = options.optimizer ?? true;
  const file = lazy ? await readLazily(location, optimizer) : await readOpen(location, optimizer);
  switch (file.kind) {
    case "keras3-weights":
      return {
        data: file.data,
        layout: "walk-path",
        holds: KERAS3_WEIGHTS_HOLDS,
        format: weightsH5Format.name,
        description: KERAS3_WEIGHTS_DESCRIPTION,
      };
    case "legacy-weights":
      return {
        data: file.data,
        layout: "layer-list",
        holds: WEIGHTS_ONLY_HOLDS,
        format: legacyH5Format.name,
        description: WEIGHTS_ONLY_DESCRIPTION,
      };
    case "legacy-model":
      return {
        data: file.data,
        layout: "layer-list",
        holds: LEGACY_HOLDS,
        format: legacyH5Format.name,
        description: LEGACY_DESCRIPTION,
      };
  }
}

/**
 * Files up to this size are read whole by a lazy read, in one read through one open handle, and
 * parsed from memory: that costs less than the dozen range reads (each an open, a read and a
 * close on disk) and parse reruns their metadata takes (a 2.7 MiB tf.keras LSTM: 1.2 ms against
 * 2.4 ms, fastest rounds of packages/bench/src/tfjs-profile.ts). Its datasets stay
 * PendingTensors, viewing that buffer (copying, where unaligned) only when loaded: what a
 * conversion does not load (the optimizer's weights) costs nothing. Larger files are read by
 * range: inspecting an 8 MiB .h5 reads its metadata blocks only (inspect-metadata.test.ts).
 */
const WHOLE_READ_BYTES = 4 * 2 ** 20;

/** A lazy read: by range, holding nothing open; a small file at once. */
async function readLazily(location: FormatLocation, optimizer: boolean): Promise<KerasH5> {
  const { store, path } = location;
  const source = await openSource(store, path);
  // A file its store holds open and reads synchronously (`kerastore convert`'s source on the local disk):
  // read as the parse asks, only what it walks; the store closes it.
  if ("readSync" in source) return readKerasH5(source, { name: path, values: "lazy", optimizer });
  let bytes: Uint8Array | undefined;
  try {
    if (source.size <= WHOLE_READ_BYTES) bytes = await source.read(0, source.size);
  } finally {
    await source.close();
  }
  if (bytes !== undefined) return readKerasH5(bytes, { name: path, values: "lazy", optimizer });
  return readKerasH5(await rangeSource(store, path), { name: path, values: "lazy", optimizer });
}

/** An eager read: by range through one open handle, every dataset into a buffer of its own. */
async function readOpen(location: FormatLocation, optimizer: boolean): Promise<KerasH5> {
  const source: RandomAccessSource = await openSource(location.store, location.path);
  try {
    return await readKerasH5(source, { name: location.path, optimizer });
  } finally {
    await source.close();
  }
}

function dialectOf(options: WriteOptions & H5WriteOptions): "keras2" | "keras3" {
  const dialect = options.dialect ?? "keras2";
  if (dialect !== "keras2" && dialect !== "keras3") {
    throw new FacadeError(
      "invalid-argument",
      cannot("write", "an .h5 file", `dialect ${JSON.stringify(dialect)} is not "keras2" or "keras3"`),
    );
  }
  return dialect;
}

/** The tree less its optimizer node. */
export function withoutOptimizer(data: SavedModelData): SavedModelData {
  return { ...data, root: { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") } };
}
