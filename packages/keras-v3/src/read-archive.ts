import { type JsonObject, type SavedModelData, isJsonObject } from "@kerastore/core";
import { checkModelConfig, parseJsonMember } from "./archive-config.js";
import { type KerasArchiveFiles, type OpenArchiveOptions, openKerasArchive } from "./archive-files.js";
import { type KerasArchiveMetadata, metadataFromJson } from "./metadata.js";
import { ASSETS_DIR, CONFIG_FILE, CONFIG_TEXT_EXTRA, METADATA_FILE, WEIGHTS_H5, WEIGHTS_NPZ } from "./names.js";
import { decodeWeights } from "./weights.js";
import type { RandomAccessSource, Store } from "@kerastore/core";
import { KerasV3Error } from "./errors.js";
import { cannot, utf8Decode } from "@kerastore/core";

/** A file a layer saved beside the weights (`assets/...`), such as a lookup vocabulary. */
export interface KerasAsset {
  /** Its path under `assets/` (`string_lookup/vocabulary.txt`). */
  readonly path: string;
  readonly data: Uint8Array;
}

/** What a `.keras` archive holds. */
export interface KerasArchive {
  /** `zip` for a `.keras` file, `directory` for the unzipped form. */
  readonly form: "zip" | "directory";
  /** `metadata.json`, when present (Keras does not need it to load). */
  readonly metadata: KerasArchiveMetadata | undefined;
  /** `config.json`: the model's envelope `{module, class_name, config, registered_name, build_config?, compile_config?}`. */
  readonly config: JsonObject;
  /** The weights (and optimizer variables) as the saved object tree, with the config attached. */
  readonly data: SavedModelData;
  /** Which weights file the archive had. */
  readonly weightsFormat: "h5" | "npz";
  /** The files under `assets/`. */
  readonly assets: readonly KerasAsset[];
  /** Every member name, in archive order. */
  readonly members: readonly string[];
  /**
   * True when the weights were read in place by range (a stored `model.weights.h5`, or the
   * directory form); false when a deflated member had to be inflated whole first.
   */
  readonly weightsInPlace: boolean;
  /**
   * Closes the file the archive was read from. Needed after `values: "lazy"` (the tree's
   * PendingTensors read from it until then); a no-op after an eager read.
   */
  close(): Promise<void>;
}

/** Options for `readKerasArchive`. */
export interface ReadKerasArchiveOptions extends OpenArchiveOptions {
  /**
   * Refuse configs that would run code or read files outside the archive when the model is
   * rebuilt (`__lambda__`, `TFSMLayer`, ...), as Keras's `safe_mode` does. Default true.
   */
  readonly safeMode?: boolean | undefined;
  /**
   * `eager` (default) loads every weight; `lazy` reads the metadata only and gives
   * PendingTensors (see `loadTreeValues` in `@kerastore/core`): call `close()` when done.
   */
  readonly values?: "eager" | "lazy" | undefined;
}

/**
 * Reads a Keras 3 `.keras` archive: from its bytes, or from a Store holding the `.keras` file
 * (`options.path`) or the unzipped directory form.
 *
 * Every member is size-, CRC- and name-checked; `config.json` is scanned in safe mode before
 * anything else is read. The model is not rebuilt here: `data` is plain data for the engine.
 */
export async function readKerasArchive(
  input: Uint8Array | Store | RandomAccessSource,
  options: ReadKerasArchiveOptions = {},
): Promise<KerasArchive> {
  const files = await openKerasArchive(input, options);
  const values = options.values ?? "eager";
  try {
    const archive = await readArchiveFiles(files, options.safeMode !== false, values);
    if (values === "eager") await files.close();
    return archive;
  } catch (error) {
    await files.close();
    throw error;
  }
}

/** Reads an archive already opened with `openKerasArchive`. */
export async function readArchiveFiles(
  files: KerasArchiveFiles,
  safeMode = true,
  values: "eager" | "lazy" = "eager",
): Promise<KerasArchive> {
  const where = (name: string) => `${files.description}!${name}`;
  const configBytes = await files.read(CONFIG_FILE);
  const config = parseJsonMember(configBytes, where(CONFIG_FILE));
  checkModelConfig(config, where(CONFIG_FILE), safeMode);
  const metadata = files.names.includes(METADATA_FILE)
    ? metadataFromJson(parseJsonMember(await files.read(METADATA_FILE), where(METADATA_FILE)))
    : undefined;
  const weightsFormat = files.names.includes(WEIGHTS_H5) ? "h5" : files.names.includes(WEIGHTS_NPZ) ? "npz" : undefined;
  if (weightsFormat === undefined) {
    throw new KerasV3Error(
      "missing-member",
      cannot("read", files.description, `it has neither ${WEIGHTS_H5} nor ${WEIGHTS_NPZ}`),
      {
        path: files.description,
      },
    );
  }
  const weightsName = weightsFormat === "h5" ? WEIGHTS_H5 : WEIGHTS_NPZ;
  // A stored member is read in place by range; a deflated one can only be inflated whole.
  const inPlace = weightsFormat === "h5" ? await files.source(weightsName) : undefined;
  const root = await decodeWeights(
    inPlace ?? (await files.read(weightsName)),
    weightsFormat,
    config,
    where(weightsName),
    values,
  );
  // JSON parsing forgets whether a number was written as a float (`0.0`); Keras checks some
  // config values with isinstance(x, float), so the writer reuses this text when the config
  // is unchanged.
  root.extras = { ...root.extras, [CONFIG_TEXT_EXTRA]: utf8Decode(configBytes) };
  const assets: KerasAsset[] = [];
  for (const name of files.names) {
    if (name.startsWith(`${ASSETS_DIR}/`))
      assets.push({ path: name.slice(ASSETS_DIR.length + 1), data: await files.read(name) });
  }
  const compile = config.compile_config;
  const data: SavedModelData = {
    root,
    kerasVersion: metadata?.kerasVersion,
    modelConfig: config,
    trainingConfig: isJsonObject(compile) && Object.keys(compile).length > 0 ? compile : undefined,
  };
  return {
    form: files.form,
    metadata,
    config,
    data,
    weightsFormat,
    assets,
    members: files.names,
    weightsInPlace: inPlace !== undefined,
    close: () => files.close(),
  };
}
