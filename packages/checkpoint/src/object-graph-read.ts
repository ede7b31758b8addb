import { fromBinary } from "@bufbuild/protobuf";
import { type HostTensor, type SavedNode, type SavedVariable, cannot } from "@kerastore/core";
import { CheckpointError } from "./errors.js";
import {
  type TrackableObjectGraph,
  type TrackableObjectGraph_TrackableObject,
  TrackableObjectGraphSchema,
} from "./gen/trackable_object_graph_pb.js";
import { VARIABLE_VALUE } from "./keys.js";

/** Class name given to graph objects: a checkpoint does not record Python classes. */
export const TRACKABLE = "Trackable";

/** Object graphs nesting deeper than this are refused (no stack overflow on hostile files). */
const MAX_DEPTH = 1000;

/** Decodes the serialized `TrackableObjectGraph`, checking that every node reference is in range. */
export function decodeObjectGraph(bytes: Uint8Array, where: string): TrackableObjectGraph {
  let graph: TrackableObjectGraph;
  try {
    graph = fromBinary(TrackableObjectGraphSchema, bytes);
  } catch (error) {
    throw new CheckpointError("corrupt", cannot("decode", `the object graph of ${where}`, String(error)), {
      cause: error,
    });
  }
  const n = graph.nodes.length;
  const bad = (id: number): boolean => !Number.isInteger(id) || id < 0 || id >= n;
  if (n === 0)
    throw new CheckpointError("corrupt", cannot("decode", `the object graph of ${where}`, "it has no nodes"));
  for (const [i, node] of graph.nodes.entries()) {
    for (const c of node.children) {
      if (bad(c.nodeId)) {
        throw new CheckpointError(
          "corrupt",
          cannot("decode", `the object graph of ${where}`, `node ${i} refers to node ${c.nodeId}`),
        );
      }
    }
    for (const s of node.slotVariables) {
      if (bad(s.originalVariableNodeId) || bad(s.slotVariableNodeId)) {
        throw new CheckpointError(
          "corrupt",
          cannot("decode", `the object graph of ${where}`, `node ${i} has a slot out of range`),
        );
      }
    }
  }
  return graph;
}

/** True for a graph node that is a plain variable: one `VARIABLE_VALUE` attribute, nothing else. */
export function isVariableNode(node: TrackableObjectGraph_TrackableObject): boolean {
  return (
    node.children.length === 0 &&
    node.slotVariables.length === 0 &&
    node.attributes.length === 1 &&
    node.attributes[0]!.name === VARIABLE_VALUE
  );
}

/**
 * Turns an object graph into the saved object tree.
 *
 * Variable nodes become `SavedVariable`s of their parent, named by the edge (`kernel`), with
 * `path` set to the variable's recorded full name; other nodes become `SavedNode`s reached by
 * named edges (a node reached twice is one object). Slot variables go to their optimizer node's
 * `slots`. Attributes of non-variable nodes become variables named by the attribute, listed in
 * `extras.attributes`. Each node's `extras.edgeOrder` keeps the graph's edge order.
 */
export function graphToTree(graph: TrackableObjectGraph, tensorOf: (key: string) => HostTensor): SavedNode {
  const nodes = new Map<number, SavedNode>();
  const variables = new Map<number, SavedVariable>();
  const variableOf = (id: number, name: string): SavedVariable => {
    let v = variables.get(id);
    if (v === undefined) {
      const attr = graph.nodes[id]!.attributes[0]!;
      v = { name, path: attr.fullName, trainable: true, value: tensorOf(attr.checkpointKey) };
      variables.set(id, v);
    }
    return v;
  };
  const nodeOf = (id: number, depth: number): SavedNode => {
    let node = nodes.get(id);
    if (node !== undefined) return node;
    if (depth > MAX_DEPTH) {
      throw new CheckpointError(
        "corrupt",
        cannot("read", "the object graph", `it nests deeper than ${MAX_DEPTH} objects`),
      );
    }
    node = { className: TRACKABLE, variables: [], children: [] };
    nodes.set(id, node);
    const proto = graph.nodes[id]!;
    const order: string[] = [];
    const variableNames: string[] = [];
    for (const attr of proto.attributes) {
      node.variables.push({
        name: attr.name,
        path: attr.fullName,
        trainable: true,
        value: tensorOf(attr.checkpointKey),
      });
      variableNames.push(attr.name);
    }
    if (proto.attributes.length > 0) node.extras = { attributes: proto.attributes.map((a) => a.name) };
    for (const edge of proto.children) {
      order.push(edge.localName);
      const child = graph.nodes[edge.nodeId]!;
      if (isVariableNode(child)) {
        node.variables.push(variableOf(edge.nodeId, edge.localName));
        variableNames.push(edge.localName);
      } else node.children.push({ name: edge.localName, node: nodeOf(edge.nodeId, depth + 1) });
    }
    node.extras = { ...node.extras, edgeOrder: order };
    if (node.variables.some((v, i) => v.name !== variableNames[i])) node.extras["variableNames"] = variableNames;
    return node;
  };
  const root = nodeOf(0, 0);
  // Slots last: their variables are usually reached by no edge.
  for (const [id, proto] of graph.nodes.entries()) {
    if (proto.slotVariables.length === 0 || !nodes.has(id)) continue;
    const owner = nodes.get(id)!;
    owner.slots = [];
    for (const ref of proto.slotVariables) {
      const original = variables.get(ref.originalVariableNodeId);
      const slotNode = graph.nodes[ref.slotVariableNodeId]!;
      if (original === undefined || !isVariableNode(slotNode)) {
        throw new CheckpointError(
          "corrupt",
          cannot("read", "the object graph", `slot "${ref.slotName}" of node ${id} does not link two variables`),
        );
      }
      owner.slots.push({ original, slotName: ref.slotName, slot: variableOf(ref.slotVariableNodeId, ref.slotName) });
    }
  }
  return root;
}
