import {
  type HostTensor,
  type JsonObject,
  type JsonValue,
  type SavedModelData,
  type SavedNode,
  type SavedVariable,
  isJsonObject,
} from "@kerastore/core";
import type { LegacyH5Contents, LegacyLayerWeights } from "./legacy-contents.js";

/**
 * Attribute names Keras creates as non-trainable. A legacy file does not record the flag, and
 * Keras stores trainable weights first, so everything from the first of these on is
 * non-trainable.
 */
const NON_TRAINABLE = new Set(["moving_mean", "moving_variance", "seed_generator_state"]);

/** `dense/kernel:0` → `dense/kernel` (the Keras 3 path form). */
export function weightPath(weightName: string): string {
  return weightName.replace(/:\d+$/, "");
}

function variablesOf(weightNames: readonly string[], weights: readonly HostTensor[]): SavedVariable[] {
  let trainable = true;
  return weightNames.map((weightName, i) => {
    const path = weightPath(weightName);
    const name = path.slice(path.lastIndexOf("/") + 1);
    if (NON_TRAINABLE.has(name)) trainable = false;
    return { name, path, trainable, value: weights[i]! };
  });
}

/** The `{class_name, config}` entry of each layer named in a model config, by layer name. */
function layerEntries(modelConfig: JsonValue | undefined): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>();
  if (!isJsonObject(modelConfig)) return out;
  const config = modelConfig.config;
  // Keras 2.0 wrote a Sequential's config as the bare list of its layers.
  const layers = Array.isArray(config) ? config : isJsonObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) return out;
  for (const entry of layers) {
    if (!isJsonObject(entry)) continue;
    const inner = entry.config;
    const name = typeof entry.name === "string" ? entry.name : isJsonObject(inner) ? inner.name : undefined;
    if (typeof name === "string") out.set(name, entry);
  }
  return out;
}

function layerNode(layer: LegacyLayerWeights, entry: JsonObject | undefined): SavedNode {
  const className = typeof entry?.class_name === "string" ? entry.class_name : "Layer";
  const config = isJsonObject(entry?.config) ? entry.config : undefined;
  return {
    className,
    name: layer.name,
    config,
    variables: variablesOf(layer.weightNames, layer.weights),
    children: [],
  };
}

/**
 * The saved object tree of a legacy file.
 *
 * The file keeps each layer's whole weight list in one group, so every layer node holds all
 * of its weights (its sublayers' too) as its own `variables`, in file order; trainable flags
 * are inferred (see NON_TRAINABLE). Layer class names and configs come from `model_config`
 * (`Layer` and none for weights-only files). The optimizer node carries the flat
 * `optimizer_weights` list; slots are not linked.
 */
export function legacyToSavedModel(contents: LegacyH5Contents): SavedModelData {
  const entries = layerEntries(contents.modelConfig);
  const envelope = isJsonObject(contents.modelConfig) ? contents.modelConfig : undefined;
  const rootClass = typeof envelope?.class_name === "string" ? envelope.class_name : "Model";
  const rootConfig = isJsonObject(envelope?.config) ? envelope.config : undefined;
  const root: SavedNode = {
    className: rootClass,
    name: typeof rootConfig?.name === "string" ? rootConfig.name : undefined,
    config: rootConfig,
    variables: contents.weights.topLevel
      ? variablesOf(contents.weights.topLevel.weightNames, contents.weights.topLevel.weights)
      : [],
    children: contents.weights.layers.map((layer) => ({
      name: layer.name,
      node: layerNode(layer, entries.get(layer.name)),
    })),
    extras: { h5Dialect: contents.dialect },
  };
  if (contents.optimizerWeights.length > 0) {
    const optimizerConfig = contents.trainingConfig?.optimizer_config;
    const envelopeOpt = isJsonObject(optimizerConfig) ? optimizerConfig : undefined;
    const className = typeof envelopeOpt?.class_name === "string" ? envelopeOpt.class_name : "Optimizer";
    const config = isJsonObject(envelopeOpt?.config) ? envelopeOpt.config : undefined;
    const name = typeof config?.name === "string" ? config.name : undefined;
    root.children.push({
      name: "optimizer",
      node: {
        className,
        name,
        config,
        variables: contents.optimizerWeights.map((w) => {
          const path = weightPath(w.name);
          return { name: path.slice(path.lastIndexOf("/") + 1), path, trainable: false, value: w.value };
        }),
        children: [],
      },
    });
  }
  return {
    root,
    kerasVersion: contents.kerasVersion,
    backend: contents.backend,
    modelConfig: envelope,
    trainingConfig: contents.trainingConfig,
  };
}
