import { create, toBinary } from "@bufbuild/protobuf";
import { type HostTensor, type SavedNode, type SavedVariable, cannot } from "@kerastore/core";
import { CheckpointError } from "./errors.js";
import {
  type TrackableObjectGraph_TrackableObject,
  TrackableObjectGraphSchema,
  TrackableObjectGraph_TrackableObjectSchema,
  TrackableObjectGraph_TrackableObject_ObjectReferenceSchema as ObjectReferenceSchema,
  TrackableObjectGraph_TrackableObject_SerializedTensorSchema as SerializedTensorSchema,
  TrackableObjectGraph_TrackableObject_SlotVariableReferenceSchema as SlotReferenceSchema,
} from "./gen/trackable_object_graph_pb.js";
import { variableEdgeNames } from "./edge-names.js";
import { VARIABLE_VALUE, attributeKey, objectPath, slotPath } from "./keys.js";

/** An object graph ready to write: its serialized proto and every tensor by checkpoint key. */
export interface GraphForWrite {
  graph: Uint8Array;
  /** Tensors by key, in graph node order (the order TensorFlow writes their bytes). */
  tensors: [string, HostTensor][];
}

type Target = SavedNode | SavedVariable;

function isNode(t: Target): t is SavedNode {
  return "children" in t;
}

/** The edges of a node in the order the graph lists them. */
function edgesOf(node: SavedNode): [string, Target][] {
  const attributes = new Set(attributeNames(node));
  const names = variableEdgeNames(node);
  const edges: [string, Target][] = [
    ...node.variables.flatMap((v, i): [string, Target][] => (attributes.has(names[i]!) ? [] : [[names[i]!, v]])),
    ...node.children.map((e): [string, Target] => [e.name, e.node]),
  ];
  const order = node.extras?.["edgeOrder"];
  if (Array.isArray(order)) {
    const rank = new Map(order.map((name, i) => [String(name), i]));
    edges.sort((a, b) => (rank.get(a[0]) ?? order.length) - (rank.get(b[0]) ?? order.length));
  }
  return edges;
}

function attributeNames(node: SavedNode): string[] {
  const names = node.extras?.["attributes"];
  return Array.isArray(names) ? names.map(String) : [];
}

/**
 * Builds the `TrackableObjectGraph` of a saved object tree, as `tf.train.Checkpoint` does:
 * nodes in breadth-first order from the root, each object keyed by the first path reaching it,
 * variables as nodes with a `VARIABLE_VALUE` attribute, slots as `.OPTIMIZER_SLOT` nodes.
 *
 * Edge order: a node's `extras.edgeOrder` when present, else its variables then its children.
 */
export function treeToGraph(root: SavedNode): GraphForWrite {
  const ids = new Map<Target, number>();
  const paths: string[] = [];
  const targets: Target[] = [];
  const protos: TrackableObjectGraph_TrackableObject[] = [];
  const tensors = new Map<string, HostTensor>();
  const add = (t: Target, path: string): number => {
    const id = targets.length;
    ids.set(t, id);
    paths.push(path);
    targets.push(t);
    protos.push(create(TrackableObjectGraph_TrackableObjectSchema, {}));
    return id;
  };
  const putTensor = (key: string, value: HostTensor): void => {
    if (tensors.has(key)) {
      throw new CheckpointError(
        "invalid-argument",
        cannot("write", "the checkpoint", `two values map to the key "${key}"`),
      );
    }
    tensors.set(key, value);
  };
  add(root, "");
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    const proto = protos[i]!;
    if (!isNode(target)) {
      const key = attributeKey(paths[i]!, VARIABLE_VALUE);
      proto.attributes.push(
        create(SerializedTensorSchema, { name: VARIABLE_VALUE, fullName: target.path, checkpointKey: key }),
      );
      putTensor(key, target.value);
      continue;
    }
    const attributes = new Set(attributeNames(target));
    for (const v of target.variables) {
      if (!attributes.has(v.name)) continue;
      const key = attributeKey(paths[i]!, v.name);
      proto.attributes.push(create(SerializedTensorSchema, { name: v.name, fullName: v.path, checkpointKey: key }));
      putTensor(key, v.value);
    }
    for (const [name, child] of edgesOf(target)) {
      const path = paths[i] === "" ? objectPath([name]) : `${paths[i]}/${objectPath([name])}`;
      const id = ids.get(child) ?? add(child, path);
      proto.children.push(create(ObjectReferenceSchema, { nodeId: id, localName: name }));
    }
  }
  // Slot variables after every reachable object, as TensorFlow numbers them.
  const reachable = targets.length;
  for (let i = 0; i < reachable; i++) {
    const target = targets[i]!;
    if (!isNode(target) || target.slots === undefined) continue;
    for (const slot of target.slots) {
      const original = ids.get(slot.original);
      if (original === undefined) {
        throw new CheckpointError(
          "invalid-argument",
          cannot("write", `slot "${slot.slotName}"`, `its variable "${slot.original.name}" is not in the tree`),
        );
      }
      let slotId = ids.get(slot.slot);
      if (slotId === undefined) {
        slotId = add(slot.slot, slotPath(paths[original]!, paths[i]!, slot.slotName));
        const key = attributeKey(paths[slotId]!, VARIABLE_VALUE);
        protos[slotId]!.attributes.push(
          create(SerializedTensorSchema, { name: VARIABLE_VALUE, fullName: slot.slot.path, checkpointKey: key }),
        );
        putTensor(key, slot.slot.value);
      }
      protos[i]!.slotVariables.push(
        create(SlotReferenceSchema, {
          originalVariableNodeId: original,
          slotName: slot.slotName,
          slotVariableNodeId: slotId,
        }),
      );
    }
  }
  markValues(protos);
  const graph = toBinary(TrackableObjectGraphSchema, create(TrackableObjectGraphSchema, { nodes: protos }));
  // TensorFlow writes the values in node order (breadth first, slots last), not key order.
  return { graph, tensors: [...tensors.entries()] };
}

/** Sets `has_checkpoint_values` on every node that holds values or reaches one. */
function markValues(protos: TrackableObjectGraph_TrackableObject[]): void {
  const has = protos.map((p) => p.attributes.length > 0);
  for (let changed = true; changed; ) {
    changed = false;
    for (const [i, p] of protos.entries()) {
      if (has[i]) continue;
      const next = p.children.some((c) => has[c.nodeId]) || p.slotVariables.some((s) => has[s.slotVariableNodeId]);
      if (next) {
        has[i] = true;
        changed = true;
      }
    }
  }
  for (const [i, p] of protos.entries()) p.hasCheckpointValues = has[i]!;
}
