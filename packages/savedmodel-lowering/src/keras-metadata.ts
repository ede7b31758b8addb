import {
  type JsonObject,
  type SavedModelData,
  type SavedNode,
  type Store,
  cannot,
  isJsonObject,
} from "@kerastore/core";
import type { Layer, Model } from "@kerastore/engine";
import { KERAS_METADATA_PB, type KerasNodeMetadata, readKerasMetadata } from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";

function identifierOf(layer: Layer): string {
  if (layer.className === "InputLayer") return "_tf_keras_input_layer";
  if (layer.className === "Sequential") return "_tf_keras_sequential";
  if ("inputs" in layer && "outputs" in layer) return "_tf_keras_network";
  return "_tf_keras_layer";
}

function layerMetadata(layer: Layer): JsonObject {
  const config = layer.getConfig();
  return {
    name: layer.name,
    trainable: layer.trainable,
    expects_training_arg: false,
    dtype: typeof config.dtype === "string" ? config.dtype : "float32",
    batch_input_shape: null,
    stateful: false,
    must_restore_from_config: false,
    class_name: layer.className,
    config,
  };
}

/**
 * The `keras_metadata.pb` entries of a model written as a SavedModel: one per layer node of the
 * checkpoint tree `ckpt` (tf.keras 2 names: each layer `i` under `layer-i`), the root's holding
 * `model_config`, `training_config`, `keras_version` and `backend` as tf.keras writes them.
 */
export function kerasMetadataFor(model: Model, ckpt: SavedNode, data: SavedModelData): KerasNodeMetadata[] {
  const entries: KerasNodeMetadata[] = [];
  const visit = (layer: Layer, node: SavedNode, root: boolean): void => {
    const meta = layerMetadata(layer);
    if (root) {
      meta.is_graph_network = true;
      meta.keras_version = data.kerasVersion ?? "3.15.1";
      meta.backend = data.backend ?? "tensorflow";
      meta.model_config = data.modelConfig ?? null;
      if (data.trainingConfig !== undefined) meta.training_config = data.trainingConfig;
    }
    entries.push({ node, identifier: identifierOf(layer), metadata: JSON.stringify(meta) });
    const layers = (layer as Partial<Model>).layers;
    if (layers === undefined) return;
    layers.forEach((child, i) => {
      const edge = node.children.find((e) => e.name === `layer-${i}`);
      if (edge !== undefined) visit(child, edge.node, false);
    });
  };
  visit(model, ckpt, true);
  return entries;
}

/** The root entry of `keras_metadata.pb`: the model's config, compile config and versions. */
export async function readKerasRoot(store: Store, dir: string, where: string): Promise<JsonObject> {
  const nodes = await readKerasMetadata(store, dir);
  if (nodes === undefined) {
    throw new LoweringError(
      "format-cannot-read",
      cannot(
        "load a Keras model from",
        where,
        "it is a SavedModel without Keras metadata (keras_metadata.pb), as model.export and tf.saved_model.save write",
        "run its signatures with keras.savedModel.load(dir), as Keras 3 does with TFSMLayer",
      ),
      { path: where },
    );
  }
  const root = nodes.find((n) => n.nodeId === 0);
  let parsed: unknown;
  try {
    parsed = root === undefined ? undefined : JSON.parse(root.metadata);
  } catch (error) {
    throw new LoweringError(
      "format-cannot-read",
      cannot("read", `${where}/${KERAS_METADATA_PB}`, `the root's metadata is not JSON: ${String(error)}`),
      { path: where },
    );
  }
  if (!isJsonObject(parsed) || !isJsonObject(parsed.model_config)) {
    throw new LoweringError(
      "format-cannot-read",
      cannot("read", `${where}/${KERAS_METADATA_PB}`, "it has no root entry (node 0) with a model_config"),
      { path: where },
    );
  }
  return parsed;
}
