import {
  type JsonObject,
  type SavedModelData,
  type SavedNode,
  type SavedVariable,
  type WeightLayout,
  cannot,
  isJsonObject,
} from "@kerastore/core";
import { compileFromSaved } from "./compile-saved.js";
import { deserializeLayer } from "./deserialize.js";
import { EngineError } from "./errors.js";
import { type FromConfigContext, kerasMajor } from "./keras-object.js";
import type { Layer } from "./layer.js";
import { Model } from "./model.js";
import type { Variable } from "./variable.js";
import { type MatchWeightsOptions, matchWeights } from "./weight-matcher.js";

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
  const node: SavedNode = {
    className: layer.className,
    name: layer.name,
    config: layer.getConfig(),
    variables: [],
    children: [],
  };
  seen.set(layer, node);
  node.variables = layer.ownWeights.map(savedVariable);
  const children = layer instanceof Model ? layer.layers : layer.trackedLayers;
  for (const child of children)
    node.children.push({ name: layer.edgeName(child), node: layerToSavedNode(child, seen) });
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

/** How {@link applySavedTree} pairs saved variables with a live model's (older spelling of a layout). */
export type MatchMode = "topology" | "name" | "path";

/** Options of {@link applySavedTree} and {@link fromSavedModelData}. */
export interface ApplyOptions extends MatchWeightsOptions {
  /** The tree's weight layout (default: `layer-list` for a Keras 2 tree, else `walk-path`). */
  readonly layout?: WeightLayout | undefined;
  /**
   * Older spelling: `topology` is `layer-list`, `name` is `layer-list` with `byName`, `path`
   * is `walk-path`. Ignored when `layout` is given.
   */
  readonly match?: MatchMode | undefined;
}

/** The layout and options {@link ApplyOptions} stand for, given the layout to use by default. */
function resolveLayout(
  options: ApplyOptions,
  fallback: WeightLayout,
): { layout: WeightLayout; options: MatchWeightsOptions } {
  if (options.layout !== undefined) return { layout: options.layout, options };
  switch (options.match) {
    case "topology":
      return { layout: "layer-list", options };
    case "name":
      return { layout: "layer-list", options: { ...options, byName: true } };
    case "path":
      return { layout: "walk-path", options };
    default:
      return { layout: fallback, options };
  }
}

/**
 * Sets a live model's weights from a saved tree through the one matcher ({@link matchWeights});
 * `match` names the layout in the older spelling (default `topology`, that is `layer-list`).
 * Returns how many variables were set.
 */
export function applySavedTree(model: Model, root: SavedNode, options: ApplyOptions = {}): number {
  const resolved = resolveLayout(options, "layer-list");
  return matchWeights(model, root, resolved.layout, resolved.options);
}

/**
 * Builds the live model a saved tree describes (from its config envelope, in the dialect of
 * the Keras that wrote it) and sets its weights. Needs `modelConfig` (or a root config).
 */
export function fromSavedModelData(
  data: SavedModelData,
  ctx: FromConfigContext = {},
  options: ApplyOptions = {},
): Model {
  const envelope: JsonObject | undefined =
    data.modelConfig ??
    (data.root.config === undefined ? undefined : { class_name: data.root.className, config: data.root.config });
  if (envelope === undefined) {
    throw new EngineError(
      "invalid-config",
      cannot(
        "build",
        "a model from a saved tree",
        "it holds no model config",
        "build the model in code and use matchWeights",
      ),
    );
  }
  const model = deserializeLayer(envelope, { kerasVersion: kerasMajor(data.kerasVersion), ...ctx });
  if (!(model instanceof Model)) {
    throw new EngineError(
      "invalid-config",
      cannot("build", "a model from a saved tree", `its config describes a ${model.className}, not a model`),
    );
  }
  if (isJsonObject(data.trainingConfig) && Object.keys(data.trainingConfig).length > 0)
    compileFromSaved(model, data.trainingConfig, { customObjects: ctx.customObjects, registry: ctx.registry });
  // The same pairing `loadModel` uses: Keras 2 trees by topology, Keras 3 trees by walk path.
  const resolved = resolveLayout(options, kerasMajor(data.kerasVersion) === 2 ? "layer-list" : "walk-path");
  matchWeights(model, data.root, resolved.layout, resolved.options);
  return model;
}
