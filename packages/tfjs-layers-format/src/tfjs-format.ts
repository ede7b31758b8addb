import { type JsonObject, dirnameOf, utf8Decode } from "@kerastore/core";
import { kerasMajor } from "@kerastore/engine";
import type { FormatLocation, FormatReadOptions, FormatWriteOptions, ModelFormat } from "kerastore";
import { layersWithKeras3Definitions } from "./hard-sigmoid.js";
import { writeSettings } from "./options.js";
import { modelJsonPath, readTfjsLayers } from "./read-model.js";
import { tfjsArtifacts, writeTfjsArtifacts } from "./write-model.js";

/** The directory a write goes to: the location, or the directory of a `.../model.json` path. */
function targetDir(path: string): string {
  return path.endsWith("model.json") ? dirnameOf(path) : path;
}

/** True for the first bytes of a tfjs model.json (a layers model, not a graph model). */
function sniffModelJson(head: Uint8Array): boolean {
  const text = utf8Decode(head.subarray(0, 512)).trimStart();
  if (!text.startsWith("{")) return false;
  if (/"format"\s*:\s*"graph-model"/.test(text)) return false;
  return /"format"\s*:\s*"layers-model"/.test(text) || /^\{\s*"modelTopology"\s*:/.test(text);
}

/**
 * The TensorFlow.js Layers format: a directory holding `model.json` and the
 * `group1-shard<i>of<n>.bin` weight files, what `tensorflowjs_converter --input_format keras`
 * writes and `tf.loadLayersModel` reads.
 *
 * Write settings (`settings` of `saveModel`): `shardSizeBytes` (default 4 MiB),
 * `quantize`: `"float16"` | `"uint8"` | `"uint16"` or `{ uint8: ["conv2d*"], ... }` (patterns match weight names).
 */
export const tfjsLayersFormat: ModelFormat = {
  name: "tfjs",
  description: "TensorFlow.js Layers model (directory: model.json + group1-shard*of*.bin; tf.loadLayersModel)",
  extensions: ["model.json"],
  holds: { architecture: true, weights: true, optimizer: false },
  layout: "layer-list",
  sniff: sniffModelJson,
  async sniffLocation({ store, path }: FormatLocation) {
    if (!(await store.exists(path)) || !(await store.isDirectory(path))) return false;
    const json = await modelJsonPath(store, path);
    if (!(await store.exists(json))) return false;
    const size = await store.size(json);
    return sniffModelJson(await store.readRange(json, 0, Math.min(512, size)));
  },
  read: ({ store, path }: FormatLocation, _options: FormatReadOptions) => readTfjsLayers(store, path),
  async write({ store, path }: FormatLocation, data, options: FormatWriteOptions) {
    const dir = targetDir(path);
    const where = `${store.description === "memory" ? "" : `${store.description}/`}${dir}`;
    const settings = writeSettings(options.settings as JsonObject | undefined, dir);
    // Which hard_sigmoid the model computes: the live model knows; a tree alone says by its Keras version.
    const live = layersWithKeras3Definitions(options.liveModel);
    const keras3HardSigmoid = live ?? (kerasMajor(data.kerasVersion) === 3 ? "all" : undefined);
    const artifacts = tfjsArtifacts(data, settings, where, { keras3HardSigmoid });
    await writeTfjsArtifacts(store, dir, artifacts);
  },
};

/** What the Kerastore CLI and `createFormatRegistry` take from a plug-in package. */
export const kerastoreFormats: readonly ModelFormat[] = [tfjsLayersFormat];
