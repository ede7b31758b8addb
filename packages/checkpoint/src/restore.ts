import { type HostTensor, type SavedNode, type SavedVariable, type Store, cannot, sameShape } from "@kerastore/core";
import { type ReadTensorOptions, openBundle, readBundleTensor } from "./bundle-read.js";
import { CheckpointError } from "./errors.js";
import type { TrackableObjectGraph } from "./gen/trackable_object_graph_pb.js";
import { readObjectGraph } from "./checkpoint-io.js";
import { variableEdgeNames } from "./edge-names.js";
import { isVariableNode } from "./object-graph-read.js";

/**
 * What a restore matched, with the assertions of TensorFlow's `CheckpointLoadStatus`.
 */
export interface RestoreStatus {
  /** Checkpoint keys holding values that no object received. */
  readonly unusedKeys: readonly string[];
  /** Variables of the objects that received no value, by their path from the root. */
  readonly unmatchedVariables: readonly string[];
  /** Throws unless every checkpoint value went to an object and every object got a value. */
  assertConsumed(): RestoreStatus;
  /** Throws unless every variable of the objects got a value (extra checkpoint values are fine). */
  assertExistingObjectsMatched(): RestoreStatus;
  /** Throws unless at least one variable was restored. */
  assertNontrivialMatch(): RestoreStatus;
  /** Accepts a partial restore (TensorFlow silences its warnings); returns the status. */
  expectPartial(): RestoreStatus;
}

/** Options for `restoreCheckpoint`. */
export interface RestoreOptions extends ReadTensorOptions {
  /** Variable names on the root not required to match (`save_counter` of a Checkpoint). */
  readonly optionalRootVariables?: readonly string[];
}

/**
 * Restores the checkpoint at `prefix` into a saved object tree by walking the object graph
 * from the root: a graph edge `name` matches the tree node's variable `name` or child edge
 * `name`; slots match by their variable and slot name. Matched variables get the stored value
 * (replacing `SavedVariable.value`); a dtype or shape that differs is an error.
 */
export async function restoreCheckpoint(
  store: Store,
  prefix: string,
  root: SavedNode,
  options: RestoreOptions = {},
): Promise<RestoreStatus> {
  const bundle = await openBundle(store, prefix);
  const graph = await readObjectGraph(bundle, options);
  const matched = new Map<number, SavedNode | SavedVariable>();
  const restored = new Set<SavedVariable>();
  const assign = async (id: number, variable: SavedVariable, where: string): Promise<void> => {
    const key = graph.nodes[id]!.attributes[0]!.checkpointKey;
    const value = await readBundleTensor(bundle, key, options);
    checkCompatible(variable.value, value, key, where);
    variable.value = value;
    restored.add(variable);
    matched.set(id, variable);
  };
  const queue: [number, SavedNode, string][] = [[0, root, ""]];
  matched.set(0, root);
  while (queue.length > 0) {
    const [id, node, path] = queue.shift()!;
    for (const ref of graph.nodes[id]!.children) {
      const child = graph.nodes[ref.nodeId]!;
      const childPath = path === "" ? ref.localName : `${path}/${ref.localName}`;
      const names = variableEdgeNames(node);
      const variable = node.variables.find((_, i) => names[i] === ref.localName);
      if (variable !== undefined && isVariableNode(child)) {
        if (!matched.has(ref.nodeId)) await assign(ref.nodeId, variable, childPath);
        continue;
      }
      const edge = node.children.find((e) => e.name === ref.localName);
      if (edge !== undefined && !isVariableNode(child) && !matched.has(ref.nodeId)) {
        matched.set(ref.nodeId, edge.node);
        queue.push([ref.nodeId, edge.node, childPath]);
      }
    }
  }
  await restoreSlots(graph, matched, assign);
  return makeStatus(graph, matched, root, restored, new Set(options.optionalRootVariables ?? []));
}

async function restoreSlots(
  graph: TrackableObjectGraph,
  matched: Map<number, SavedNode | SavedVariable>,
  assign: (id: number, variable: SavedVariable, where: string) => Promise<void>,
): Promise<void> {
  for (const [id, proto] of graph.nodes.entries()) {
    const owner = matched.get(id);
    if (owner === undefined || !("children" in owner) || owner.slots === undefined) continue;
    for (const ref of proto.slotVariables) {
      const original = matched.get(ref.originalVariableNodeId);
      const slot = owner.slots.find((s) => s.original === original && s.slotName === ref.slotName);
      if (
        slot !== undefined &&
        !matched.has(ref.slotVariableNodeId) &&
        isVariableNode(graph.nodes[ref.slotVariableNodeId]!)
      ) {
        await assign(ref.slotVariableNodeId, slot.slot, `slot ${ref.slotName} of ${slot.original.path}`);
      }
    }
  }
}

function checkCompatible(live: HostTensor, stored: HostTensor, key: string, where: string): void {
  if (live.dtype !== stored.dtype || !sameShape(live.shape, stored.shape)) {
    throw new CheckpointError(
      "mismatch",
      cannot(
        "restore",
        where,
        `the checkpoint holds ${stored.dtype} [${stored.shape.join(", ")}] under "${key}", the object has ${live.dtype} [${live.shape.join(", ")}]`,
      ),
    );
  }
}

function makeStatus(
  graph: TrackableObjectGraph,
  matched: Map<number, SavedNode | SavedVariable>,
  root: SavedNode,
  restored: Set<SavedVariable>,
  optionalRoot: Set<string>,
): RestoreStatus {
  const unusedKeys: string[] = [];
  for (const [id, node] of graph.nodes.entries()) {
    if (!matched.has(id)) for (const a of node.attributes) unusedKeys.push(a.checkpointKey);
  }
  const unmatchedVariables: string[] = [];
  const seen = new Set<SavedNode>();
  const visit = (node: SavedNode, path: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    for (const v of node.variables) {
      if (node === root && optionalRoot.has(v.name)) continue;
      if (!restored.has(v)) unmatchedVariables.push(path === "" ? v.name : `${path}/${v.name}`);
    }
    for (const s of node.slots ?? []) {
      if (!restored.has(s.slot)) unmatchedVariables.push(`${s.original.path}/.OPTIMIZER_SLOT/${s.slotName}`);
    }
    for (const e of node.children) visit(e.node, path === "" ? e.name : `${path}/${e.name}`);
  };
  visit(root, "");
  const fail = (what: string, items: readonly string[]): never => {
    const shown = items.slice(0, 8).join(", ") + (items.length > 8 ? `, and ${items.length - 8} more` : "");
    throw new CheckpointError("mismatch", cannot("restore", "the checkpoint", `${what}: ${shown}`));
  };
  const status: RestoreStatus = {
    unusedKeys,
    unmatchedVariables,
    assertConsumed() {
      if (unusedKeys.length > 0) fail("some checkpoint values went to no object", unusedKeys);
      if (unmatchedVariables.length > 0) fail("some variables got no value", unmatchedVariables);
      return status;
    },
    assertExistingObjectsMatched() {
      if (unmatchedVariables.length > 0) fail("some variables got no value", unmatchedVariables);
      return status;
    },
    assertNontrivialMatch() {
      if (restored.size === 0) fail("nothing matched", ["no variable was restored"]);
      return status;
    },
    expectPartial() {
      return status;
    },
  };
  return status;
}
