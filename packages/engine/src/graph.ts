import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { Layer } from "./layer.js";
import type { KerasTensor, LayerNode } from "./symbolic.js";

/** A functional model's graph: its nodes by depth and its layers in Keras's order. */
export interface Graph {
  /** Nodes to run, deepest (inputs) first. */
  readonly nodes: readonly LayerNode[];
  /** Layers in Keras's `model.layers` order: by decreasing depth, then discovery order. */
  readonly layers: readonly Layer[];
  /** The nodes that belong to this graph. */
  readonly nodeSet: ReadonlySet<LayerNode>;
}

const MAX_NODES = 100_000;

/**
 * Maps the graph from `outputs` back to `inputs`, as Keras's `map_graph` does, so the layer
 * order (and with it the weight order) is Keras's.
 */
export function mapGraph(inputs: readonly KerasTensor[], outputs: readonly KerasTensor[]): Graph {
  const finished = new Set<LayerNode>();
  const inProgress = new Set<LayerNode>();
  const decreasing: LayerNode[] = [];
  const layerIndex = new Map<Layer, number>();
  const inputSet = new Set(inputs);

  const visit = (tensor: KerasTensor): void => {
    const { layer, nodeIndex } = tensor.history;
    const node = layer.inboundNodes[nodeIndex];
    if (node === undefined)
      throw new EngineError(
        "invalid-argument",
        cannot("map", "a model graph", `layer "${layer.name}" has no call ${nodeIndex}`),
      );
    if (finished.has(node)) return;
    if (inProgress.has(node))
      throw new EngineError(
        "invalid-argument",
        cannot("map", "a model graph", `it has a cycle through layer "${layer.name}"`),
      );
    if (finished.size > MAX_NODES)
      throw new EngineError("invalid-argument", cannot("map", "a model graph", "it has too many nodes"));
    if (!layerIndex.has(layer)) layerIndex.set(layer, layerIndex.size);
    inProgress.add(node);
    if (node.inputs.length > 0 && !inputSet.has(tensor)) for (const t of node.inputs) visit(t);
    finished.add(node);
    inProgress.delete(node);
    decreasing.push(node);
  };
  for (const o of outputs) visit(o);

  const nodeDepth = new Map<LayerNode, number>();
  const layerDepth = new Map<Layer, number>();
  for (let i = decreasing.length - 1; i >= 0; i--) {
    const node = decreasing[i]!;
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(node.layer) ?? 0);
    layerDepth.set(node.layer, depth);
    nodeDepth.set(node, depth);
    for (const t of node.inputs) {
      const parent = t.history.layer.inboundNodes[t.history.nodeIndex]!;
      nodeDepth.set(parent, Math.max(depth + 1, nodeDepth.get(parent) ?? 0));
    }
  }
  for (const t of inputs) {
    const layer = t.history.layer;
    if (!layerDepth.has(layer)) {
      layerDepth.set(layer, 0);
      layerIndex.set(layer, -1);
      nodeDepth.set(layer.inboundNodes[0]!, 0);
    }
  }
  const depths = [...new Set(layerDepth.values())].sort((a, b) => b - a);
  const layers: Layer[] = [];
  for (const d of depths) {
    const atDepth = [...layerDepth].filter(([, ld]) => ld === d).map(([l]) => l);
    atDepth.sort((a, b) => layerIndex.get(a)! - layerIndex.get(b)!);
    layers.push(...atDepth);
  }
  const nodes = [...nodeDepth].sort((a, b) => b[1] - a[1]).map(([n]) => n);
  return { nodes, layers, nodeSet: new Set(nodes) };
}
