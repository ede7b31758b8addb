import { type RandomAccessSource, type SavedModelData, cannot } from "@kerastore/core";
import { H5Error } from "./errors.js";
import { type H5ReadBackend, type H5ReadFile, withH5File, withH5Source } from "./h5-read-file.js";
import type { LegacyH5Contents } from "./legacy-contents.js";
import { legacyToSavedModel } from "./legacy-tree.js";
import { type Keras3VarsEntry, isKeras3Layout, keras3EntriesToTree, readKeras3Entries } from "./read-keras3-weights.js";
import { isLegacyLayout, readLegacyContents } from "./read-legacy-h5.js";

/** Options of every reader. */
export interface ReadH5Options {
  /** The file's name or path, used in error messages. Default `"<bytes>"`. */
  readonly name?: string;
  /**
   * The HDF5 reader: `auto` (default: native, h5wasm for what it does not read), `native`, or
   * `h5wasm`. Native reads return weights as views of `bytes` (no copy): keep `bytes` unchanged
   * while you use them.
   */
  readonly backend?: H5ReadBackend;
  /**
   * With a RandomAccessSource: `eager` (default) loads every tensor the tree holds, each into a
   * buffer of its own; `lazy` reads the metadata only and gives PendingTensors, loaded by
   * `loadTreeValues` or one by one with `value.load()` (partial loads, inspect). With bytes,
   * `lazy` gives PendingTensors for datasets stored in one piece, viewing (or, unaligned, copying)
   * the bytes only when loaded; the h5wasm fallback is always eager.
   */
  readonly values?: "eager" | "lazy";
  /**
   * `false`: a legacy `.h5`'s optimizer weights are not read (the tree gets no optimizer node),
   * for a reader that will not use them (a conversion to TensorFlow.js). Default true.
   */
  readonly optimizer?: boolean;
}

/** What `readKerasH5` found. */
export type KerasH5 =
  | {
      readonly kind: "legacy-model" | "legacy-weights";
      /** The file as stored: name lists, weights in file order, optimizer weights. */
      readonly legacy: LegacyH5Contents;
      /** The same, as a saved object tree. */
      readonly data: SavedModelData;
    }
  | {
      readonly kind: "keras3-weights";
      /** Every `vars` group by walk path. */
      readonly entries: readonly Keras3VarsEntry[];
      readonly data: SavedModelData;
    };

const DEFAULTS = Object.freeze({ name: "<bytes>", backend: "auto", values: "eager", optimizer: true } as const);

/**
 * Reads any Keras HDF5 file: Keras 2 / Keras 3 legacy `.h5` (full model or weights only) or a
 * Keras 3 `.weights.h5`, telling which by its layout (not its name).
 */
export async function readKerasH5(
  input: Uint8Array | RandomAccessSource,
  options: ReadH5Options = {},
): Promise<KerasH5> {
  const { name, backend, values, optimizer } = { ...DEFAULTS, ...options };
  const read = (file: H5ReadFile): KerasH5 => {
    if (isLegacyLayout(file)) {
      const legacy = readLegacyContents(file, { optimizer });
      return { kind: legacy.kind, legacy, data: legacyToSavedModel(legacy) };
    }
    if (isKeras3Layout(file)) {
      const entries = readKeras3Entries(file);
      return { kind: "keras3-weights", entries, data: { root: keras3EntriesToTree(entries) } };
    }
    throw new H5Error(
      "not-keras",
      cannot(
        "read",
        name,
        "an HDF5 file, but not one Keras wrote (no layer_names, model_weights, model_config or vars)",
      ),
      { path: name },
    );
  };
  return input instanceof Uint8Array
    ? withH5File(input, name, read, backend, values)
    : withH5Source(input, name, read, backend, values);
}

/** Reads a legacy `.h5` (full model or weights only) as stored. */
export async function readLegacyH5(
  bytes: Uint8Array | RandomAccessSource,
  options: ReadH5Options = {},
): Promise<LegacyH5Contents> {
  const result = await readKerasH5(bytes, options);
  if (result.kind === "keras3-weights") {
    const name = options.name ?? DEFAULTS.name;
    throw new H5Error(
      "not-keras",
      cannot("read", name, "it is a Keras 3 .weights.h5, not a legacy .h5", "use readKeras3WeightsH5"),
      {
        path: name,
      },
    );
  }
  return result.legacy;
}

/** Reads a Keras 3 `.weights.h5` (also `model.weights.h5` inside a `.keras` archive). */
export async function readKeras3WeightsH5(
  bytes: Uint8Array | RandomAccessSource,
  options: ReadH5Options = {},
): Promise<readonly Keras3VarsEntry[]> {
  const result = await readKerasH5(bytes, options);
  if (result.kind !== "keras3-weights") {
    const name = options.name ?? DEFAULTS.name;
    throw new H5Error(
      "not-keras",
      cannot("read", name, "it is a legacy .h5, not a Keras 3 .weights.h5", "use readLegacyH5"),
      {
        path: name,
      },
    );
  }
  return result.entries;
}
