import {
  type JsonObject,
  type SavedModelData,
  type Store,
  cannot,
  joinPath,
  utf8Encode,
  writeFileSet,
} from "@kerastore/core";
import { TfjsFormatError } from "./errors.js";
import type { TfjsWriteSettings } from "./options.js";
import type { QuantizationEntry } from "./quantize.js";
import { type TfjsConfigOptions, type TfjsProblem, tfjsModelConfig } from "./topology.js";
import { type ShardStream, cutShards, planWeights } from "./weight-stream.js";
import { tfjsWeightNames } from "./weight-names.js";

/** What writes into model.json's `convertedBy`. */
export const CONVERTED_BY = "Kerastore @kerastore/tfjs-layers-format v0.1.0";

/** One weight of the manifest. */
export interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: QuantizationEntry;
}

/** A model.json's `weightsManifest` group. */
export interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

/** What {@link tfjsArtifacts} gives: the shard files to stream, then model.json. */
export interface TfjsArtifacts {
  /**
   * Shard file names with their bytes as chunks, made as they are written: views of the
   * weights where nothing changes; a lazily read weight (a PendingTensor) is read when its turn
   * comes, the next one while the current one is written. Write the shards in order, each whole
   * before the next, by their `chunks` or (a writer with a buffer to copy runs through) `pieces`.
   */
  readonly shards: readonly ShardStream[];
  /** The bytes all shards hold. */
  readonly weightBytes: number;
  /** model.json, once every shard is written (a quantized weight's `min` / `scale` come from its values). */
  modelJson(): JsonObject;
}

/** The problems refusing a write, as one message line per layer. */
export function describeProblems(problems: readonly TfjsProblem[]): string {
  return problems.map((p) => `${p.layer} (${p.className}): ${p.reason}`).join("; ");
}

/**
 * The files of a TensorFlow.js Layers model for a saved tree, as `tensorflowjs_converter
 * --input_format keras` lays them out: model.json (`format: "layers-model"`, `generatedBy`,
 * `convertedBy`, `modelTopology` = `{keras_version, backend, model_config, training_config}`,
 * `weightsManifest` with one group) and `group1-shard<i>of<n>.bin` holding the weights' bytes
 * back to back, cut every `shardSizeBytes`. Refuses, naming each, layers tfjs-layers cannot read,
 * before any byte is written: the plan needs dtypes and shapes only, so the tree may hold
 * PendingTensors (a reader's `values: "lazy"`), each read when the shards reach it.
 */
export function tfjsArtifacts(
  data: SavedModelData,
  settings: TfjsWriteSettings,
  where: string,
  options: TfjsConfigOptions = {},
): TfjsArtifacts {
  if (data.modelConfig === undefined) {
    throw new TfjsFormatError(
      "unsupported-by-tfjs",
      cannot(
        "write",
        `${where} as tfjs`,
        "the model has no config (a TensorFlow.js Layers model needs its architecture)",
      ),
    );
  }
  // A Keras 3 file's config is Keras 3's, whatever its envelopes say (Keras 3's legacy .h5).
  const keras3Config = options.keras3Config ?? (data.kerasVersion !== undefined && /^3\./.test(data.kerasVersion));
  const converted = tfjsModelConfig(data.modelConfig, { ...options, keras3Config });
  const problems = [...converted.problems];
  if (data.root.variables.length > 0)
    problems.push({
      layer: data.root.name ?? "model",
      className: data.root.className,
      reason: "model-level weights tfjs-layers has no place for",
    });
  if (problems.length > 0) {
    throw new TfjsFormatError(
      "unsupported-by-tfjs",
      cannot(
        "write",
        `${where} as tfjs`,
        `tfjs-layers 4.22 cannot read ${problems.length === 1 ? "this layer" : `these ${problems.length} layers`}: ${describeProblems(problems)}`,
      ),
      { path: where },
    );
  }
  const plan = planWeights(tfjsWeightNames(data), settings, where);
  const total = plan.reduce((n, w) => n + w.byteLength, 0);
  const shards = cutShards(plan, total, settings.shardSizeBytes, where);
  const kerasVersion = data.kerasVersion ?? "3.15.1";
  const topology: JsonObject = {
    keras_version: kerasVersion,
    backend: data.backend ?? "tensorflow",
    model_config: converted.modelConfig,
  };
  if (data.trainingConfig !== undefined && Object.keys(data.trainingConfig).length > 0)
    topology["training_config"] = data.trainingConfig;
  const modelJson = (): JsonObject => {
    const weights = plan.map((w) => w.entry);
    const manifest: ManifestGroup[] = weights.length === 0 ? [] : [{ paths: shards.map((s) => s.name), weights }];
    return {
      format: "layers-model",
      generatedBy: `keras v${kerasVersion}`,
      convertedBy: CONVERTED_BY,
      modelTopology: topology,
      weightsManifest: manifest as unknown as JsonObject[],
    };
  };
  return { shards, weightBytes: total, modelJson };
}

/**
 * Writes model.json and its shards into the directory `dir` of any store, as one set (old shards
 * go): each file staged, then committed together (see `writeFileSet`).
 */
export async function writeTfjsArtifacts(store: Store, dir: string, artifacts: TfjsArtifacts): Promise<void> {
  const exists = await store.exists(dir);
  if (exists && !(await store.isDirectory(dir))) throw isAFile(dir);
  const fresh = new Set(artifacts.shards.map((s) => s.name));
  const stale = exists ? (await store.list(dir)).filter((n) => SHARD_NAME.test(n) && !fresh.has(n)) : [];
  await writeFileSet(store, dir, async (staged) => {
    await staged.mkdir(dir);
    for (const shard of artifacts.shards) await staged.write(joinPath(dir, shard.name), shard.chunks);
    for (const name of stale) await staged.remove(joinPath(dir, name));
    await staged.write(joinPath(dir, "model.json"), utf8Encode(JSON.stringify(artifacts.modelJson())));
  });
}

/** The error for a target that is a file, not a directory. */
export function isAFile(dir: string): TfjsFormatError {
  return new TfjsFormatError(
    "bad-option",
    cannot("write", dir, "it is a file; a TensorFlow.js Layers model is a directory (model.json and its shards)"),
    { path: dir },
  );
}

/** The converter's shard file names. */
export const SHARD_NAME = /^group\d+-shard\d+of\d+\.bin$/;
