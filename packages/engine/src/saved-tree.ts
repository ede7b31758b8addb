import {
  type HostTensor,
  type JsonObject,
  type SavedModelData,
  type SavedNode,
  type SavedVariable,
  cannot,
  formatShape,
  isJsonObject,
} from "@kerastore/core";
import { compileFromSaved } from "./compile-saved.js";
import { deserializeLayer } from "./deserialize.js";
import { EngineError } from "./errors.js";
import { type FromConfigContext, kerasMajor } from "./keras-object.js";
import type { Layer } from "./layer.js";
import { Model } from "./model.js";
import type { Variable } from "./variable.js";

/** Options of {@link toSavedModelData}. */
export interface ToSavedOptions {
  /** The optimizer's node (docs/saved-tree.md "Optimizer"), added as the `optimizer` edge. */
  readonly optimizer?: SavedNode | undefined;
  /** The Keras version to record (default `3.15.1`, the dialect the engine writes). */
  readonly kerasVersion?: string | undefined;
}

/** The Keras version whose dialect the engine writes. */
export const WRITTEN_KERAS_VERSION = "3.15.1";

function savedVariable(v: Variable): SavedVariable {
  return { name: v.name, path: v.path, trainable: v.trainable, value: v.read() };
}

/** A live layer as a saved node: its own variables, and its layers (or tracked sublayers) as edges. */
export function layerToSavedNode(layer: Layer, seen = new Map<Layer, SavedNode>()): SavedNode {
  const known = seen.get(layer);
  if (known !== undefined) return known;
  const node: SavedNode = { className: layer.className, name: layer.name, config: layer.getConfig(), variables: [], children: [] };
  seen.set(layer, node);
  node.variables = layer.ownWeights.map(savedVariable);
  const children = layer instanceof Model ? layer.layers : layer.trackedLayers;
  for (const child of children) node.children.push({ name: layer.edgeName(child), node: layerToSavedNode(child, seen) });
  return node;
}

/**
 * A live model as the saved object tree (docs/saved-tree.md): the model node with one edge per
 * layer of `model.layers`, then `optimizer` when given; plus the model's config envelope.
 */
export function toSavedModelData(model: Model, options: ToSavedOptions = {}): SavedModelData {
  const root = layerToSavedNode(model);
  if (options.optimizer !== undefined) root.children.push({ name: "optimizer", node: options.optimizer });
  const compile = model.compileConfig;
  return {
    root,
    kerasVersion: options.kerasVersion ?? WRITTEN_KERAS_VERSION,
    backend: "tensorflow",
    modelConfig: model.toConfig(),
    trainingConfig: Object.keys(compile).length > 0 ? compile : undefined,
  };
}

/** How to pair saved variables with a live model's. */
export type MatchMode = "topology" | "name" | "path";

/** Options of {@link applySavedTree}. */
export interface ApplyOptions {
  /**
   * `topology` (Keras 2 H5 `load_weights`): layers with weights in order; `name`: layers by
   * name (`by_name=True`); `path`: every variable by its Keras 3 path. Default `topology`.
   */
  readonly match?: MatchMode | undefined;
  /** With `name` or `path`: skip saved entries the model lacks (and shape mismatches) instead of failing. */
  readonly skipMismatch?: boolean | undefined;
}

/** A saved node's full weight list, as Keras 2 H5 stores a layer: subtree, trainable first. */
export function savedWeightList(node: SavedNode): SavedVariable[] {
  const all: SavedVariable[] = [];
  const seen = new Set<SavedNode>();
  const visit = (n: SavedNode, depth: number) => {
    if (seen.has(n) || depth > 64) return;
    seen.add(n);
    all.push(...n.variables);
    for (const e of n.children) if (e.name !== "optimizer") visit(e.node, depth + 1);
  };
  visit(node, 0);
  return [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)];
}

function layerEdges(root: SavedNode): { name: string; node: SavedNode }[] {
  return root.children.filter((e) => e.name !== "optimizer");
}

function assign(v: Variable, value: HostTensor, where: string, skip: boolean): boolean {
  const same = v.shape.length === value.shape.length && v.shape.every((d, i) => d === value.shape[i]);
  if (!same) {
    if (skip) return false;
    throw new EngineError(
      "weight-mismatch",
      cannot("load", `weight ${where}`, `the model's is ${formatShape(v.shape)}, the saved one ${formatShape(value.shape)}`),
      { path: where },
    );
  }
  v.assign(value, where);
  return true;
}

/**
 * Sets a live model's weights from a saved tree, pairing them by topology, layer name or
 * variable path. Returns how many variables were set.
 */
export function applySavedTree(model: Model, root: SavedNode, options: ApplyOptions = {}): number {
  const mode = options.match ?? "topology";
  const skip = options.skipMismatch ?? false;
  let count = 0;
  if (mode === "path") {
    const byPath = new Map<string, SavedVariable>();
    for (const v of savedWeightList(root)) byPath.set(v.path, v);
    for (const v of model.weights) {
      const saved = byPath.get(v.path);
      if (saved === undefined) {
        if (skip) continue;
        throw new EngineError("weight-mismatch", cannot("load", `weight ${v.path}`, "the saved tree has no variable with that path"), { path: v.path });
      }
      if (assign(v, saved.value, v.path, skip)) count++;
    }
    return count;
  }
  const liveLayers = model.layers.filter((l) => l.weights.length > 0);
  const edges = layerEdges(root);
  if (mode === "name") {
    for (const edge of edges) {
      const saved = savedWeightList(edge.node);
      if (saved.length === 0) continue;
      const layer = liveLayers.find((l) => l.name === (edge.node.name ?? edge.name));
      if (layer === undefined) {
        if (skip) continue;
        throw new EngineError("weight-mismatch", cannot("load", `the weights of layer "${edge.name}"`, "the model has no layer of that name"));
      }
      count += assignList(layer, saved, skip);
    }
    return count;
  }
  const savedLayers = edges.filter((e) => savedWeightList(e.node).length > 0);
  if (savedLayers.length !== liveLayers.length) {
    throw new EngineError(
      "weight-mismatch",
      cannot("load", `weights into model "${model.name}"`, `it has ${liveLayers.length} layers with weights, the saved tree ${savedLayers.length}`),
    );
  }
  for (const [i, layer] of liveLayers.entries()) count += assignList(layer, savedWeightList(savedLayers[i]!.node), skip);
  return count;
}

function assignList(layer: Layer, saved: SavedVariable[], skip: boolean): number {
  const live = layer.keras2Weights;
  if (live.length !== saved.length) {
    if (skip) return 0;
    throw new EngineError(
      "weight-mismatch",
      cannot("load", `the weights of layer "${layer.name}"`, `it has ${live.length} weights, the saved layer ${saved.length}`),
    );
  }
  let n = 0;
  for (const [i, v] of live.entries()) if (assign(v, saved[i]!.value, `${layer.name}/${v.name}`, skip)) n++;
  return n;
}

/**
 * Builds the live model a saved tree describes (from its config envelope, in the dialect of
 * the Keras that wrote it) and sets its weights. Needs `modelConfig` (or a root config).
 */
export function fromSavedModelData(data: SavedModelData, ctx: FromConfigContext = {}, options: ApplyOptions = {}): Model {
  const envelope: JsonObject | undefined =
    data.modelConfig ?? (data.root.config === undefined ? undefined : { class_name: data.root.className, config: data.root.config });
  if (envelope === undefined) {
    throw new EngineError("invalid-config", cannot("build", "a model from a saved tree", "it holds no model config", "build the model in code and use applySavedTree"));
  }
  const model = deserializeLayer(envelope, { kerasVersion: kerasMajor(data.kerasVersion), ...ctx });
  if (!(model instanceof Model)) {
    throw new EngineError("invalid-config", cannot("build", "a model from a saved tree", `its config describes a ${model.className}, not a model`));
  }
  if (isJsonObject(data.trainingConfig) && Object.keys(data.trainingConfig).length > 0) compileFromSaved(model, data.trainingConfig, { customObjects: ctx.customObjects, registry: ctx.registry });
  applySavedTree(model, data.root, { match: options.match ?? (kerasMajor(data.kerasVersion) === 2 ? "topology" : "path"), ...options });
  return model;
}
