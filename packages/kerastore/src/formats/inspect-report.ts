import { isJsonObject, type SavedEdge, type SavedNode, savedWeightList, sizeOf } from "@kerastore/core";
import type { FormatLocation, ModelReadResult } from "./format.js";
import { inputsOf } from "./inspect-inputs.js";

/** What `kerastore inspect` reports, also its `--json` form. */
export interface InspectReport {
  format: string;
  description: string;
  path: string;
  kerasVersion?: string | undefined;
  modelClass?: string | undefined;
  modelName?: string | undefined;
  /** A .h5 file `save_weights` wrote: weights with no architecture. */
  weightsOnly?: boolean | undefined;
  /** The model's inputs, what `predict` needs (from the config; empty when it does not say). */
  inputs?: InspectTensor[] | undefined;
  layers: { name: string; className: string; params: number }[];
  params: number;
  weights: { path: string; dtype: string; shape: number[] }[];
  /** The optimizer's state, apart from the model's parameters (`params`). */
  optimizer?: { className: string; variables: number; params?: number | undefined } | undefined;
  /** A SavedModel's serving signatures (`saved_model_cli show`), when it holds no Keras model. */
  signatures?: { key: string; inputs: InspectTensor[]; outputs: InspectTensor[] }[] | undefined;
  /** A SavedModel's root functions (`serve`, `__call__`). */
  functions?: string[] | undefined;
  /** What the report lists under `weights` (`weights`, or `tensors` for a checkpoint's raw tensors). */
  weightsHeading?: string | undefined;
}

/** A signature's input or output; `shape` uses null for unknown sizes and for an unknown rank. */
export interface InspectTensor {
  name: string;
  dtype: string;
  shape: (number | null)[] | null;
}

function paramsOf(node: SavedNode): number {
  return savedWeightList(node).reduce((n, v) => n + (v.value.dtype === "string" ? 0 : sizeOf(v.value.shape)), 0);
}

/** The report of a file from what its reader read: the tree's layers and weights, the config's model. */
export function inspectReportOf(location: FormatLocation, result: ModelReadResult): InspectReport {
  const { data } = result;
  const envelope = data.modelConfig;
  const config = isJsonObject(envelope?.config) ? envelope.config : undefined;
  const layerEdges = modelLayerEdges(data.root.children.filter((e) => e.name !== "optimizer"));
  const optimizer = data.root.children.find((e) => e.name === "optimizer")?.node;
  // Name and class from the config where the tree has only Trackable nodes (a SavedModel's layer-N).
  const configLayers = Array.isArray(config?.layers) ? config.layers.filter(isJsonObject) : [];
  const layers = layerEdges.map((e) => {
    const fromConfig = e.name.startsWith("layer-") ? configLayers[Number(e.name.slice(6))] : undefined;
    const configName =
      isJsonObject(fromConfig?.config) && typeof fromConfig.config.name === "string"
        ? fromConfig.config.name
        : undefined;
    return {
      name: configName ?? e.node.name ?? e.name,
      className: typeof fromConfig?.class_name === "string" ? fromConfig.class_name : e.node.className,
      params: paramsOf(e.node),
    };
  });
  // A layer list without an architecture names its layers but not their classes.
  const weightsOnly =
    result.layout === "layer-list" && !result.holds.architecture && envelope === undefined ? true : undefined;
  return {
    format: result.format,
    description: result.description,
    path: location.path,
    kerasVersion: data.kerasVersion,
    modelClass: typeof envelope?.class_name === "string" ? envelope.class_name : undefined,
    modelName: typeof config?.name === "string" ? config.name : undefined,
    weightsOnly,
    inputs: envelope === undefined ? undefined : inputsOf(envelope),
    layers,
    params: layers.reduce((n, l) => n + l.params, 0) + paramsOf({ ...data.root, children: [] }),
    weights: layerEdges.flatMap((e) =>
      savedWeightList(e.node).map((v) => ({ path: v.path, dtype: v.value.dtype, shape: [...v.value.shape] })),
    ),
    optimizer:
      optimizer === undefined ? undefined : { className: optimizer.className, variables: optimizer.variables.length },
  };
}

/**
 * The edges to a model's layers, each layer once. A SavedModel (tf.keras 2 tracking) reaches a
 * layer with weights twice, as `layer-N` and `layer_with_weights-M`: keep the `layer-N` edges.
 */
function modelLayerEdges(edges: readonly SavedEdge[]): SavedEdge[] {
  if (!edges.some((e) => /^layer-\d+$/.test(e.name))) return [...edges];
  return edges.filter((e) => !/^layer_with_weights-\d+$/.test(e.name));
}
