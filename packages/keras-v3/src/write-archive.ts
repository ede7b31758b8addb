import {
  type JsonObject,
  type SavedModelData,
  type Store,
  cannot,
  isJsonObject,
  joinPath,
  parsePythonJson,
  stringifyPythonJson,
  utf8Encode,
} from "@kerastore/core";
import { KerasV3Error } from "./errors.js";
import { unsafeMemberNameReason } from "./member-name.js";
import { makeMetadata } from "./metadata.js";
import {
  ASSETS_DIR,
  CONFIG_FILE,
  CONFIG_TEXT_EXTRA,
  DEFAULT_KERAS_VERSION,
  METADATA_FILE,
  WEIGHTS_H5,
} from "./names.js";
import type { KerasAsset } from "./read-archive.js";
import { encodeWeights } from "./weights.js";
import { type ZipMemberInput, writeZip, zipChunks } from "./zip-write.js";

/** Options for writing a `.keras` archive. */
export interface WriteKerasArchiveOptions {
  /**
   * `config.json`: the model envelope `{module, class_name, config, registered_name, build_config?,
   * compile_config?}`. Default: `data.modelConfig`, with `data.trainingConfig` as its
   * `compile_config` when it has none.
   */
  readonly config?: JsonObject | undefined;
  /** The Keras version `metadata.json` records. Default `data.kerasVersion` if it is 3.x, else `"3.15.1"`. */
  readonly kerasVersion?: string | undefined;
  /** The save time `metadata.json` and the weights member record. Default now. */
  readonly date?: Date | undefined;
  /** Further keys for `metadata.json`. */
  readonly metadata?: JsonObject | undefined;
  /** Files to store under `assets/`. */
  readonly assets?: readonly KerasAsset[] | undefined;
  /** Already-encoded `model.weights.h5` bytes; skips encoding `data`'s tree. */
  readonly weights?: Uint8Array | undefined;
}

/**
 * The members of an archive in Keras's order: `metadata.json`, `config.json`,
 * `model.weights.h5`, then `assets/...`.
 */
export async function kerasArchiveMembers(
  data: SavedModelData,
  options: WriteKerasArchiveOptions = {},
): Promise<ZipMemberInput[]> {
  const config = archiveConfig(data, options);
  const date = options.date ?? new Date();
  const version =
    options.kerasVersion ?? (data.kerasVersion?.startsWith("3.") ? data.kerasVersion : DEFAULT_KERAS_VERSION);
  const members: ZipMemberInput[] = [
    { name: METADATA_FILE, data: utf8Encode(stringifyPythonJson(makeMetadata(version, date, options.metadata))) },
    { name: CONFIG_FILE, data: utf8Encode(configText(data, config)) },
    { name: WEIGHTS_H5, data: options.weights ?? (await encodeWeights(data, WEIGHTS_H5)), date },
  ];
  const seen = new Set<string>();
  for (const asset of options.assets ?? []) {
    const name = `${ASSETS_DIR}/${asset.path}`;
    const unsafe = unsafeMemberNameReason(name);
    if (unsafe !== undefined || name.endsWith("/")) {
      throw new KerasV3Error(
        "invalid-argument",
        cannot("write asset", `"${asset.path}"`, unsafe ?? "the path names a directory"),
        { path: name },
      );
    }
    if (seen.has(name))
      throw new KerasV3Error("invalid-argument", cannot("write asset", `"${asset.path}"`, "it is given twice"), {
        path: name,
      });
    seen.add(name);
    members.push({ name, data: asset.data, date });
  }
  return members;
}

/** Writes a `.keras` archive into one buffer. */
export async function writeKerasArchive(
  data: SavedModelData,
  options: WriteKerasArchiveOptions = {},
): Promise<Uint8Array> {
  return writeZip(await kerasArchiveMembers(data, options));
}

/**
 * Writes a `.keras` archive to `path` in a Store, atomically (the Store's temp-and-rename), with
 * the weights streamed from their buffer rather than copied into a second one.
 */
export async function writeKerasArchiveTo(
  store: Store,
  path: string,
  data: SavedModelData,
  options: WriteKerasArchiveOptions = {},
): Promise<void> {
  const members = await kerasArchiveMembers(data, options);
  await store.write(path, zipChunks(members));
}

/**
 * Writes the unzipped (directory) form Keras writes with `zipped=False`: the same members as
 * files under `dir`. Each file is written atomically.
 */
export async function writeKerasDirectory(
  store: Store,
  dir: string,
  data: SavedModelData,
  options: WriteKerasArchiveOptions = {},
): Promise<void> {
  const members = await kerasArchiveMembers(data, options);
  await store.mkdir(dir);
  for (const member of members) await store.write(joinPath(dir, member.name), member.data);
}

function archiveConfig(data: SavedModelData, options: WriteKerasArchiveOptions): JsonObject {
  const given = options.config ?? data.modelConfig;
  if (given === undefined || typeof given.class_name !== "string" || !isJsonObject(given.config)) {
    throw new KerasV3Error(
      "invalid-argument",
      cannot(
        "write .keras archive",
        "config.json",
        "no model envelope ({class_name, config, ...}) was given",
        "pass options.config or set data.modelConfig",
      ),
    );
  }
  if (given.compile_config === undefined && data.trainingConfig !== undefined) {
    return { ...given, compile_config: data.trainingConfig };
  }
  return given;
}

/** The config's JSON text: the text it was read from when unchanged, else Python-style JSON. */
function configText(data: SavedModelData, config: JsonObject): string {
  const text = stringifyPythonJson(config);
  const kept = data.root.extras?.[CONFIG_TEXT_EXTRA];
  if (typeof kept !== "string") return text;
  try {
    return stringifyPythonJson(parsePythonJson(kept)) === text ? kept : text;
  } catch {
    return text;
  }
}
