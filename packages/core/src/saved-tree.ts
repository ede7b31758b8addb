import type { JsonObject, JsonValue } from "./json.js";
import type { HostTensor } from "./tensor.js";

/**
 * The saved object tree: the one structure every format maps from and to.
 *
 * A live model becomes a tree of nodes (model, layers, optimizer, plain trackables); each
 * format derives its own layout from it (H5 layer groups, `.weights.h5` walk paths, checkpoint
 * object-graph edges) and readers give the same tree back, or the part their format holds.
 * Nodes may be shared (a DAG): the same node object reached by two edges is one object.
 */
export interface SavedNode {
  /** The Keras class name (`Dense`, `Sequential`, `Adam`), or a plain kind such as `Variable`. */
  className: string;
  /** The object's Keras name (`dense_1`), when it has one. */
  name?: string | undefined;
  /** The object's Keras config (Keras JSON), when it has one. */
  config?: JsonObject | undefined;
  /** The node's own variables in Keras order: trainable first, then non-trainable. */
  variables: SavedVariable[];
  /** Child objects as named edges, in tracking order (`layers`, attribute names, `optimizer`). */
  children: SavedEdge[];
  /**
   * Optimizer slot variables owned by this node (TF checkpoint `slot_variables`): the slot
   * named `slotName` of `original`, held in `slot`.
   */
  slots?: SavedSlot[] | undefined;
  /** Format-specific facts a reader kept and a writer of the same format may reuse. */
  extras?: Record<string, JsonValue> | undefined;
}

/** One variable of a node. */
export interface SavedVariable {
  /** The attribute name on its owner (`kernel`, `moving_mean`, `iteration`). */
  name: string;
  /** The full name the variable reports (`dense/kernel`), which legacy formats key on. */
  path: string;
  /** Whether training updates it. */
  trainable: boolean;
  /** Its value. */
  value: HostTensor;
}

/** A named edge from a node to a child. */
export interface SavedEdge {
  name: string;
  node: SavedNode;
}

/** An optimizer slot: `slot` holds the `slotName` state of the variable `original`. */
export interface SavedSlot {
  original: SavedVariable;
  slotName: string;
  slot: SavedVariable;
}

/** A whole saved model: its object tree plus the metadata files carry beside it. */
export interface SavedModelData {
  /** The root node (the model). */
  root: SavedNode;
  /** Keras version that wrote it (`"2.15.0"`, `"3.15.1"`), when known. */
  kerasVersion?: string | undefined;
  /** The backend name recorded in the file (`"tensorflow"`). */
  backend?: string | undefined;
  /** The model's whole config envelope (`{class_name, config, ...}`), when the format holds one. */
  modelConfig?: JsonObject | undefined;
  /** Compile information: Keras 3 `compile_config` or Keras 2 `training_config`. */
  trainingConfig?: JsonObject | undefined;
}

/** Makes an empty node. */
export function savedNode(className: string, name?: string): SavedNode {
  return { className, name, variables: [], children: [] };
}

/**
 * Visits every node once, depth first in edge order, with the edge path that first reached it.
 */
export function* walkSavedTree(root: SavedNode): Generator<{ node: SavedNode; path: readonly string[] }> {
  const seen = new Set<SavedNode>();
  const stack: { node: SavedNode; path: readonly string[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (seen.has(item.node)) continue;
    seen.add(item.node);
    yield item;
    for (let i = item.node.children.length - 1; i >= 0; i--) {
      const edge = item.node.children[i]!;
      stack.push({ node: edge.node, path: [...item.path, edge.name] });
    }
  }
}

/** Finds the child reached by an edge name, if any. */
export function childOf(node: SavedNode, edge: string): SavedNode | undefined {
  return node.children.find((e) => e.name === edge)?.node;
}

/**
 * A saved node's full weight list, as Keras 2 H5 stores a layer: its subtree's variables (the
 * optimizer's aside), trainable first. Cycles and trees deeper than 64 are cut.
 */
export function savedWeightList(node: SavedNode): SavedVariable[] {
  const all: SavedVariable[] = [];
  const seen = new Set<SavedNode>();
  const visit = (n: SavedNode, depth: number): void => {
    if (seen.has(n) || depth > 64) return;
    seen.add(n);
    all.push(...n.variables);
    for (const e of n.children) if (e.name !== "optimizer") visit(e.node, depth + 1);
  };
  visit(node, 0);
  return [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)];
}
