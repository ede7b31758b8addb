import {
  type JsonObject,
  type NumericHostTensor,
  type SavedModelData,
  type Store,
  bytesOf,
  cannot,
  joinPath,
  utf8Encode,
  writeFileSet,
} from "@kerastore/core";
import { TfjsFormatError } from "./errors.js";
import { type TfjsWriteSettings, quantizationFor } from "./options.js";
import { type QuantizationEntry, quantize } from "./quantize.js";
import { type TfjsConfigOptions, type TfjsProblem, tfjsModelConfig } from "./topology.js";
import { TFJS_WEIGHT_DTYPES } from "./tfjs-support.js";
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

/** What {@link tfjsArtifacts} gives: model.json and the shard files, ready to write. */
export interface TfjsArtifacts {
  readonly modelJson: JsonObject;
  /** Shard file names with their bytes, as chunks (views of the weights where nothing changes). */
  readonly shards: readonly { readonly name: string; readonly chunks: readonly Uint8Array[] }[];
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
 * back to back, cut every `shardSizeBytes`. Refuses, naming each, layers tfjs-layers cannot read.
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
  const converted = tfjsModelConfig(data.modelConfig, options);
  const modelConfig = converted.modelConfig;
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
  const weights: ManifestWeight[] = [];
  const parts: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const { name, variable } of tfjsWeightNames(data)) {
    if (seen.has(name))
      throw new TfjsFormatError(
        "unsupported-by-tfjs",
        cannot("write", `${where} as tfjs`, `two weights would both be named ${name}`),
      );
    seen.add(name);
    const value = variable.value;
    if (value.dtype === "string" || !TFJS_WEIGHT_DTYPES.has(widened(value.dtype))) {
      throw new TfjsFormatError(
        "unsupported-by-tfjs",
        cannot(
          "write",
          `${where} as tfjs`,
          `weight ${name} is ${value.dtype}; a tfjs weights manifest holds float32, int32 and bool`,
        ),
      );
    }
    const tensor = value as NumericHostTensor;
    const dtype = widened(tensor.dtype);
    const q = dtype === "float32" ? quantizationFor(settings, name, where) : undefined;
    const shape = [...tensor.shape];
    if (q !== undefined) {
      const quantized = quantize(asFloat32(tensor), q);
      weights.push({ name, shape, dtype, quantization: quantized.entry });
      parts.push(bytesOf(quantized.data));
    } else {
      weights.push({ name, shape, dtype });
      parts.push(dtype === tensor.dtype ? bytesOf(tensor.data) : bytesOf(convert(tensor, dtype)));
    }
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const shards = cut(parts, total, settings.shardSizeBytes);
  const manifest: ManifestGroup[] = weights.length === 0 ? [] : [{ paths: shards.map((s) => s.name), weights }];
  const kerasVersion = data.kerasVersion ?? "3.15.1";
  const topology: JsonObject = {
    keras_version: kerasVersion,
    backend: data.backend ?? "tensorflow",
    model_config: modelConfig,
  };
  if (data.trainingConfig !== undefined && Object.keys(data.trainingConfig).length > 0)
    topology["training_config"] = data.trainingConfig;
  const modelJson: JsonObject = {
    format: "layers-model",
    generatedBy: `keras v${kerasVersion}`,
    convertedBy: CONVERTED_BY,
    modelTopology: topology,
    weightsManifest: manifest as unknown as JsonObject[],
  };
  return { modelJson, shards };
}

/** Writes model.json and its shards into the directory `dir`, as one set (old shards go). */
export async function writeTfjsArtifacts(store: Store, dir: string, artifacts: TfjsArtifacts): Promise<void> {
  if (await store.exists(dir)) {
    if (!(await store.isDirectory(dir))) {
      throw new TfjsFormatError(
        "bad-option",
        cannot("write", dir, "it is a file; a TensorFlow.js Layers model is a directory (model.json and its shards)"),
        { path: dir },
      );
    }
  }
  const fresh = new Set(artifacts.shards.map((s) => s.name));
  const stale = (await store.exists(dir))
    ? (await store.list(dir)).filter((n) => SHARD_NAME.test(n) && !fresh.has(n))
    : [];
  await writeFileSet(store, dir, async (staged) => {
    await staged.mkdir(dir);
    for (const shard of artifacts.shards) await staged.write(joinPath(dir, shard.name), shard.chunks);
    for (const name of stale) await staged.remove(joinPath(dir, name));
    await staged.write(joinPath(dir, "model.json"), utf8Encode(JSON.stringify(artifacts.modelJson)));
  });
}

/** The converter's shard file names. */
export const SHARD_NAME = /^group\d+-shard\d+of\d+\.bin$/;

function cut(parts: readonly Uint8Array[], total: number, size: number): { name: string; chunks: Uint8Array[] }[] {
  const count = Math.ceil(total / size);
  const shards: { name: string; chunks: Uint8Array[] }[] = [];
  let part = 0;
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const chunks: Uint8Array[] = [];
    let room = Math.min(size, total - i * size);
    while (room > 0) {
      const p = parts[part]!;
      const take = Math.min(room, p.byteLength - offset);
      if (take > 0) chunks.push(p.subarray(offset, offset + take));
      offset += take;
      room -= take;
      if (offset === p.byteLength) {
        part++;
        offset = 0;
      }
    }
    shards.push({ name: `group1-shard${i + 1}of${count}.bin`, chunks });
  }
  return shards;
}

/** The converter's automatic conversions: float64 to float32, int64 (and narrower ints) to int32. */
function widened(dtype: string): string {
  if (dtype === "float64") return "float32";
  if (
    dtype === "int64" ||
    dtype === "int8" ||
    dtype === "int16" ||
    dtype === "uint8" ||
    dtype === "uint16" ||
    dtype === "uint32"
  )
    return "int32";
  return dtype;
}

function asFloat32(tensor: NumericHostTensor): Float32Array {
  return tensor.data instanceof Float32Array ? tensor.data : (convert(tensor, "float32") as Float32Array);
}

function convert(tensor: NumericHostTensor, dtype: string): Float32Array | Int32Array {
  const n = tensor.data.length;
  const out = dtype === "float32" ? new Float32Array(n) : new Int32Array(n);
  if (tensor.dtype === "float16" || tensor.dtype === "bfloat16") {
    throw new TfjsFormatError(
      "unsupported-by-tfjs",
      `cannot write a ${tensor.dtype} weight as tfjs: convert the model to float32 first`,
    );
  }
  for (let i = 0; i < n; i++) out[i] = Number(tensor.data[i]!);
  return out;
}
