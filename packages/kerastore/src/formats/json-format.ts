import { parseJsonText } from "@kerastore/config";
import { cannot, isJsonObject, type JsonObject, type SavedModelData } from "@kerastore/core";
import { FacadeError } from "../errors.js";
import type { ModelReader, ModelWriter } from "./format.js";

/**
 * Architecture only: model JSON as `model.to_json()` writes it (either dialect). Loading gives a
 * model with fresh weights; saving writes no weights.
 */
export const jsonFormat: ModelReader & ModelWriter = {
  name: "json",
  description: "model architecture as JSON (model.to_json(); no weights)",
  extensions: [".json"],
  holds: { architecture: true, weights: false, optimizer: false },
  sniff: (head) => {
    let i = 0;
    while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
    return head[i] === 0x7b; // "{"
  },
  async read({ store, path }) {
    const text = new TextDecoder().decode(await store.read(path));
    const json = parseJsonText(text, path);
    if (!isJsonObject(json) || typeof json.class_name !== "string") {
      throw new FacadeError(
        "format-cannot-read",
        cannot("read", path, 'expected model JSON with "class_name" and "config"'),
        { path },
      );
    }
    const data: SavedModelData = {
      root: { className: json.class_name, variables: [], children: [] },
      modelConfig: json,
      kerasVersion: typeof json.keras_version === "string" ? json.keras_version : undefined,
      backend: typeof json.backend === "string" ? json.backend : undefined,
    };
    return {
      data,
      layout: "layer-list",
      holds: jsonFormat.holds,
      format: jsonFormat.name,
      description: jsonFormat.description,
    };
  },
  plan: () => ({ dialect: "keras3", computes: "by-name", optimizer: false }),
  async write({ store, path }, data) {
    if (data.modelConfig === undefined) {
      throw new FacadeError(
        "format-cannot-write",
        cannot("write", path, "the model has no config (a subclassed model without getConfig?)"),
        { path },
      );
    }
    const json: JsonObject = { ...data.modelConfig };
    if (data.kerasVersion !== undefined && json.keras_version === undefined) json.keras_version = data.kerasVersion;
    if (data.backend !== undefined && json.backend === undefined) json.backend = data.backend;
    await store.write(path, new TextEncoder().encode(JSON.stringify(json)));
  },
};
