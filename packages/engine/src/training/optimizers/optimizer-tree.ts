import {
  type HostTensor,
  type SavedNode,
  type SavedSlot,
  type SavedVariable,
  cannot,
  hostTensor,
} from "@kerastore/core";
import { EngineError } from "../../errors.js";
import type { TrainableVariable } from "../trainable.js";
import type { Optimizer } from "./optimizer.js";

/**
 * The optimizer as a saved-tree node (docs/saved-tree.md "Optimizer"): its variables in
 * Keras 3 order and, for each slot, the link to the model variable's `SavedVariable`.
 *
 * `originals` maps a model variable to the very `SavedVariable` object the layer node holds
 * (so object-graph formats can write `.OPTIMIZER_SLOT` entries); slots of variables it does
 * not map get no `slots` entry.
 */
export function optimizerToSavedNode(
  optimizer: Optimizer,
  originals: ReadonlyMap<TrainableVariable, SavedVariable> = new Map(),
): SavedNode {
  const values = optimizer.getWeights();
  const variables: SavedVariable[] = [];
  const slots: SavedSlot[] = [];
  optimizer.variables().forEach((v, i) => {
    const data = values[i]!;
    const value: HostTensor =
      v.dtype === "int64"
        ? hostTensor("int64", [...v.shape], data as BigInt64Array)
        : hostTensor("float32", [...v.shape], Float32Array.from(data as Float32Array));
    const saved: SavedVariable = { name: v.slotName ?? v.name, path: v.path, trainable: false, value };
    variables.push(saved);
    const original = v.original === undefined ? undefined : originals.get(v.original);
    if (original !== undefined && v.slotName !== undefined) slots.push({ original, slotName: v.slotName, slot: saved });
  });
  const node: SavedNode = {
    className: optimizer.className,
    name: optimizer.name,
    config: optimizer.getConfig(),
    variables,
    children: [],
  };
  if (slots.length > 0) node.slots = slots;
  return node;
}

/**
 * Restores an optimizer's variables from a saved node (Keras 3 order, as
 * {@link optimizerToSavedNode} writes and Keras 3 `.weights.h5` / `.keras` files hold),
 * building it on `variables` (the model's trainable variables) first.
 */
export function optimizerFromSavedNode(
  optimizer: Optimizer,
  node: SavedNode,
  variables: readonly TrainableVariable[],
): void {
  const where = `optimizer "${node.name ?? node.className}"`;
  const values = node.variables.map((v, i) => {
    const t = v.value;
    if (t.dtype === "int64" || t.dtype === "int32" || t.dtype === "float32" || t.dtype === "float64") {
      if (i === 0)
        return t.dtype === "int64"
          ? (t.data as BigInt64Array)
          : BigInt64Array.of(BigInt(Math.trunc(Number(t.data[0] ?? 0))));
      return t.dtype === "int64"
        ? Float32Array.from(t.data as BigInt64Array, Number)
        : Float32Array.from(t.data as ArrayLike<number>);
    }
    throw new EngineError(
      "weight-mismatch",
      cannot("read", `${where} variable ${v.path}`, `a ${t.dtype} value cannot be an optimizer variable`),
      { path: v.path },
    );
  });
  optimizer.setWeights(values, variables);
}
