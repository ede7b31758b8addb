import { loadCheckpoint } from "@kerastore/checkpoint";
import { type SavedEdge, type SavedModelData, type SavedNode, formatShape, isJsonObject, joinPath, sizeOf } from "@kerastore/core";
import { savedWeightList } from "@kerastore/engine";
import { KERAS_METADATA_PB, type SignatureTensor, formatPartialShape, readSavedModel } from "@kerastore/savedmodel";
import { checkpointPrefix } from "../formats/checkpoint-format.js";
import type { FormatLocation, ModelFormat } from "../formats/format.js";
import { defaultFormatRegistry } from "../formats/builtin-formats.js";
import { h5LayoutOf } from "../formats/h5-formats.js";
import { rootVariables } from "../savedmodel/load-saved-model.js";
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
}

/** A signature's input or output; `shape` uses null for unknown sizes and for an unknown rank. */
export interface InspectTensor {
  name: string;
  dtype: string;
  shape: (number | null)[] | null;
}

/** Inspects a model, weights file or checkpoint without building the model. */
export async function inspect(location: FormatLocation): Promise<InspectReport> {
  let format: ModelFormat = await defaultFormatRegistry().detect(location);
  if (format.name === "h5" || format.name === "weights-h5") format = await h5LayoutOf(location);
  if (format.name === "checkpoint") return inspectCheckpoint(location, format);
  if (format.name === "savedmodel" && !(await location.store.exists(joinPath(location.path, KERAS_METADATA_PB)))) {
    return inspectGraph(location, format);
  }
  // Metadata only: dtypes and shapes, no weight bytes (a 10 GiB file inspects in milliseconds).
  const data = await format.read!(location, { safeMode: true, values: "lazy" });
  return reportOf(location, format, data);
}

function paramsOf(node: SavedNode): number {
  return savedWeightList(node).reduce((n, v) => n + (v.value.dtype === "string" ? 0 : sizeOf(v.value.shape)), 0);
}

function reportOf(location: FormatLocation, format: ModelFormat, data: SavedModelData): InspectReport {
  const envelope = data.modelConfig;
  const config = isJsonObject(envelope?.config) ? envelope.config : undefined;
  const layerEdges = modelLayerEdges(data.root.children.filter((e) => e.name !== "optimizer"));
  const optimizer = data.root.children.find((e) => e.name === "optimizer")?.node;
  // Name and class from the config where the tree has only Trackable nodes (a SavedModel's layer-N).
  const configLayers = Array.isArray(config?.layers) ? config.layers.filter(isJsonObject) : [];
  const layers = layerEdges.map((e) => {
    const fromConfig = e.name.startsWith("layer-") ? configLayers[Number(e.name.slice(6))] : undefined;
    const configName = isJsonObject(fromConfig?.config) && typeof fromConfig.config.name === "string" ? fromConfig.config.name : undefined;
    return {
      name: configName ?? e.node.name ?? e.name,
      className: typeof fromConfig?.class_name === "string" ? fromConfig.class_name : e.node.className,
      params: paramsOf(e.node),
    };
  });
  const weightsOnly = format.name === "h5" && envelope === undefined ? true : undefined;
  return {
    format: format.name,
    description: weightsOnly ? "Keras HDF5 weights only (save_weights: no architecture; load into a built model with model.loadWeights)" : format.description,
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
    optimizer: optimizer === undefined ? undefined : { className: optimizer.className, variables: optimizer.variables.length },
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

async function inspectCheckpoint(location: FormatLocation, format: ModelFormat): Promise<InspectReport> {
  const reader = await loadCheckpoint(location.store, checkpointPrefix(location.path));
  const dtypes = reader.variableToDtypeMap();
  const weights = reader.listVariables().map(([key, shape]) => ({ path: key, dtype: String(dtypes.get(key)), shape }));
  const count = (list: typeof weights) => list.reduce((n, w) => n + (w.dtype === "string" ? 0 : sizeOf(w.shape)), 0);
  // An optimizer's slots (`.OPTIMIZER_SLOT`) and own variables (`optimizer/...`) are its state, not model parameters.
  const isOptimizer = (key: string) => key.includes("/.OPTIMIZER_SLOT/") || key.startsWith("optimizer/");
  const isBookkeeping = (key: string) => key === "_CHECKPOINTABLE_OBJECT_GRAPH" || key.startsWith("save_counter/");
  const optimizer = weights.filter((w) => isOptimizer(w.path));
  return {
    format: format.name,
    description: format.description,
    path: location.path,
    layers: [],
    params: count(weights.filter((w) => !isOptimizer(w.path) && !isBookkeeping(w.path))),
    weights,
    optimizer: optimizer.length === 0 ? undefined : { className: "optimizer state", variables: optimizer.length, params: count(optimizer) },
  };
}

/** A SavedModel with no Keras model in it (model.export, tf.saved_model.save): its signatures and variables. */
async function inspectGraph(location: FormatLocation, format: ModelFormat): Promise<InspectReport> {
  const info = await readSavedModel(location.store, location.path, { values: false });
  const tensors = (record: Readonly<Record<string, SignatureTensor>>): InspectTensor[] =>
    Object.entries(record).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape === null ? null : [...t.shape] }));
  const weights = rootVariables(info).map((v) => ({ path: v.name, dtype: v.dtype, shape: v.shape === null ? [] : v.shape.map((d) => d ?? -1) }));
  return {
    format: format.name,
    description: `${format.description}, a graph without a Keras model (tags ${info.tags.join(", ")})`,
    path: location.path,
    layers: [],
    params: weights.reduce((n, w) => n + (w.shape.every((d) => d >= 0) ? sizeOf(w.shape) : 0), 0),
    weights,
    signatures: Object.values(info.signatures)
      .filter((s) => s.functionName !== undefined)
      .map((s) => ({ key: s.key, inputs: tensors(s.inputs), outputs: tensors(s.outputs) })),
    functions: Object.keys(info.rootFunctions).sort(),
  };
}

/** The human-readable form of a report. */
export function formatReport(report: InspectReport): string {
  const lines = [`${report.path}: ${report.description}`];
  if (report.modelClass !== undefined) {
    lines.push(`model: ${report.modelClass}${report.modelName === undefined ? "" : ` "${report.modelName}"`}${report.kerasVersion === undefined ? "" : ` (Keras ${report.kerasVersion})`}`);
  }
  if (report.inputs !== undefined && report.inputs.length > 0) {
    lines.push("inputs:");
    for (const t of report.inputs) lines.push(`  ${t.name}  ${t.dtype}  ${formatPartialShape(t.shape)}`);
  }
  if (report.layers.length > 0) {
    lines.push("layers:");
    // A weights-only file names its layers but not their classes.
    for (const l of report.layers) lines.push(`  ${l.name}${report.weightsOnly ? "" : ` (${l.className})`}: ${l.params.toLocaleString("en-US")} params`);
  }
  lines.push(`parameters: ${report.params.toLocaleString("en-US")}`);
  if (report.optimizer !== undefined) {
    const params = report.optimizer.params === undefined ? "" : `, ${report.optimizer.params.toLocaleString("en-US")} values`;
    lines.push(`optimizer: ${report.optimizer.className} (${report.optimizer.variables} variables${params}, not counted in parameters)`);
  }
  for (const sig of report.signatures ?? []) {
    lines.push(`signature ${sig.key}:`);
    for (const t of sig.inputs) lines.push(`  input  ${t.name}  ${t.dtype}  ${formatPartialShape(t.shape)}`);
    for (const t of sig.outputs) lines.push(`  output ${t.name}  ${t.dtype}  ${formatPartialShape(t.shape)}`);
  }
  if (report.functions !== undefined && report.functions.length > 0) lines.push(`functions: ${report.functions.join(", ")}`);
  lines.push(report.format === "checkpoint" ? "tensors:" : "weights:");
  for (const w of report.weights) lines.push(`  ${w.path}  ${w.dtype}  ${formatShape(w.shape)}`);
  return `${lines.join("\n")}\n`;
}
