import { readCheckpoint } from "@kerastore/checkpoint";
import { type SavedModelData, type SavedNode, type SavedVariable, cannot, isJsonObject, joinPath } from "@kerastore/core";
import { Model, deserializeLayer, initBackend, kerasMajor } from "@kerastore/engine";
import { findUnsafeConfig } from "@kerastore/keras-v3";
import { SAVED_MODEL_PB, VARIABLES_PREFIX, writeSavedModel } from "@kerastore/savedmodel";
import { toCheckpointTree } from "../checkpoint/checkpoint-tree.js";
import { FacadeError } from "../errors.js";
import { kerasMetadataFor, readKerasRoot } from "../savedmodel/keras-metadata.js";
import { lowerCall, lowerModel } from "../savedmodel/lower-model.js";
import type { ModelFormat } from "./format.js";

/**
 * A TensorFlow SavedModel directory, the guide's default `model.save("my_model")`.
 *
 * Writing lowers the model's layers to TensorFlow ops (the `serving_default` signature, which
 * `tf.saved_model.load` runs), writes the variables as the TF checkpoint `saveWeights` writes
 * (`variables/variables`, optimizer included) and Keras 2's `keras_metadata.pb`, from which
 * reading revives the Keras model. SavedModels without Keras metadata are graphs only: they
 * load through `keras.savedModel.load`.
 */
export const savedModelFormat: ModelFormat = {
  name: "savedmodel",
  description: "TensorFlow SavedModel directory (saved_model.pb, variables/, keras_metadata.pb)",
  extensions: [],
  holds: { architecture: true, weights: true, optimizer: true },
  layout: "object-graph",
  async sniffLocation({ store, path }) {
    return (await store.isDirectory(path).catch(() => false)) && (await store.exists(joinPath(path, SAVED_MODEL_PB)));
  },
  async read({ store, path }, options) {
    const where = `${store.description}/${path}`;
    const meta = await readKerasRoot(store, path, where);
    if (options.safeMode !== false) {
      const findings = findUnsafeConfig(meta.model_config ?? null);
      if (findings.length > 0) {
        throw new FacadeError(
          "format-cannot-read",
          cannot("load", `${where}/keras_metadata.pb`, `safe mode refuses ${findings.map((f) => `${f.reason} at ${f.at}`).slice(0, 3).join("; ")}`, "if you trust the file's source, pass { safeMode: false }"),
          { path: where },
        );
      }
    }
    const root = keras3Optimizer(await readCheckpoint(store, joinPath(path, VARIABLES_PREFIX)));
    const data: SavedModelData = { root, modelConfig: meta.model_config as SavedModelData["modelConfig"] };
    const extra: { -readonly [K in keyof SavedModelData]?: SavedModelData[K] } = {};
    if (typeof meta.keras_version === "string") extra.kerasVersion = meta.keras_version;
    if (typeof meta.backend === "string") extra.backend = meta.backend;
    if (isJsonObject(meta.training_config)) extra.trainingConfig = meta.training_config;
    return { ...data, ...extra };
  },
  async write({ store, path }, data, options) {
    const where = `${store.description}/${path}`;
    if (data.modelConfig === undefined) {
      throw new FacadeError("format-cannot-write", cannot("save", `${where} as a SavedModel`, "the data holds no model config"));
    }
    await initBackend();
    let model: unknown;
    try {
      model = deserializeLayer(data.modelConfig, { kerasVersion: kerasMajor(data.kerasVersion) });
    } catch (error) {
      throw new FacadeError("unsupported", cannot("save", `${where} as a SavedModel`, `its config does not rebuild without custom objects (${String(error)})`, "save to .keras or .h5"), { cause: error });
    }
    if (!(model instanceof Model)) throw new FacadeError("format-cannot-write", cannot("save", `${where} as a SavedModel`, "its config is not a model"));
    // The rebuilt model only gives the lowering its layer graph; the values come from data.root,
    // so its fresh variables are freed once the graph is built (else every save leaked them).
    let lowered: { signature: ReturnType<typeof lowerModel>; call: ReturnType<typeof lowerCall>; kerasMetadata: ReturnType<typeof kerasMetadataFor> };
    const root = options.includeOptimizer === false ? { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") } : data.root;
    const variables = toCheckpointTree(root);
    try {
      lowered = { signature: lowerModel(model, data.root), call: lowerCall(model, data.root), kerasMetadata: kerasMetadataFor(model, variables, data) };
    } finally {
      for (const w of model.weights) w.value.dispose();
    }
    await writeSavedModel(store, path, {
      variables,
      signatures: { serving_default: lowered.signature },
      functions: { __call__: lowered.call },
      kerasMetadata: lowered.kerasMetadata,
    });
  },
};

/**
 * The checkpoint's optimizer node (tf.keras 2 names: `iter`, `learning_rate`, the rest under
 * `_variables/N` with N its index in Keras 3's list, or as slots) back in the Keras 3 list
 * form loadModel restores: listed variables at their index, the named ones and slots filling
 * the other places in order.
 */
function keras3Optimizer(root: SavedNode): SavedNode {
  const edge = root.children.find((e) => e.name === "optimizer");
  if (edge === undefined) return root;
  const node = edge.node;
  const listed = node.children.find((e) => e.name === "_variables")?.node.variables ?? [];
  const rest = [...node.variables, ...(node.slots ?? []).map((s) => s.slot)];
  const total = listed.length + rest.length;
  const placed: (SavedVariable | undefined)[] = new Array(total);
  for (const v of listed) {
    const index = Number(v.name);
    if (!Number.isInteger(index) || index < 0 || index >= total || placed[index] !== undefined) return root;
    placed[index] = v;
  }
  let next = 0;
  const variables = Array.from({ length: total }, (_, i) => placed[i] ?? rest[next++]!);
  return { ...root, children: root.children.map((e) => (e === edge ? { name: e.name, node: { className: node.className, name: node.name, variables, children: [] } } : e)) };
}
