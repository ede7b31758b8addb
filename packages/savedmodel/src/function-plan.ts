import { cannot } from "@kerastore/core";
import { type NodeAttrs, nodeAttrs } from "./attrs.js";
import { SavedModelError } from "./errors.js";
import type { FunctionDef, NodeDef } from "./gen/graph_pb.js";

/** Where a node input comes from: a function argument or another node's output. */
export type TensorRef =
  | { readonly kind: "arg"; readonly index: number }
  /** `node:outArg:index`; `outArg` is empty for the graph form `node:index`. */
  | { readonly kind: "node"; readonly node: string; readonly outArg: string; readonly index: number };

/** One node ready to run: its data inputs resolved, its attributes wrapped. */
export interface PlannedNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly TensorRef[];
  readonly attrs: NodeAttrs;
}

/** A FunctionDef checked and ordered: the nodes its outputs need, each after its inputs. */
export interface FunctionPlan {
  readonly name: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Nodes in an order where every data input is computed first (control inputs dropped). */
  readonly order: readonly PlannedNode[];
  /** One reference per output argument. */
  readonly outputs: readonly TensorRef[];
}

/**
 * Checks a FunctionDef and orders the nodes its outputs depend on through data edges.
 *
 * Control inputs (`^node`) are dropped: the functions a SavedModel serves are pure apart from
 * variable reads, which the captured values stand for. Dangling inputs, duplicate node names
 * and cycles are `corrupt`.
 */
export function planFunction(fn: FunctionDef): FunctionPlan {
  const name = fn.signature?.name ?? "";
  const where = `function ${name}`;
  const fail = (reason: string): never => {
    throw new SavedModelError("corrupt", cannot("read", where, reason));
  };
  const inputNames = (fn.signature?.inputArg ?? []).map((a) => a.name);
  const outputNames = (fn.signature?.outputArg ?? []).map((a) => a.name);
  const args = new Map(inputNames.map((n, i) => [n, i]));
  if (args.size !== inputNames.length) fail("two input arguments share a name");
  const defs = new Map<string, NodeDef>();
  for (const node of fn.nodeDef) {
    if (defs.has(node.name) || args.has(node.name)) fail(`node name ${JSON.stringify(node.name)} is used twice`);
    defs.set(node.name, node);
  }
  const parse = (text: string, place: string): TensorRef => {
    const parts = text.split(":");
    if (parts.length === 1) {
      const index = args.get(text);
      if (index !== undefined) return { kind: "arg", index };
      if (defs.has(text)) return { kind: "node", node: text, outArg: "", index: 0 };
      return fail(`${place} refers to ${JSON.stringify(text)}, which is neither an argument nor a node`);
    }
    const node = parts[0]!;
    const indexText = parts[parts.length - 1]!;
    const index = /^\d{1,9}$/.test(indexText) ? Number(indexText) : Number.NaN;
    if (parts.length > 3 || !defs.has(node) || Number.isNaN(index))
      fail(`${place} refers to ${JSON.stringify(text)}, which is not a node output`);
    return { kind: "node", node, outArg: parts.length === 3 ? parts[1]! : "", index };
  };
  const outputs = outputNames.map((out) => {
    if (!Object.hasOwn(fn.ret, out)) fail(`output ${out} has no return value`);
    return parse(fn.ret[out]!, `output ${out}`);
  });

  const order: PlannedNode[] = [];
  const state = new Map<string, 1 | 2>();
  // Iterative depth-first post-order: hostile graphs can be deep enough to overflow the stack.
  const stack: { name: string; next: number; refs: TensorRef[] }[] = [];
  const visit = (start: string): void => {
    const enter = (n: string): void => {
      const def = defs.get(n)!;
      const refs = def.input.filter((i) => !i.startsWith("^")).map((i) => parse(i, `node ${n}`));
      state.set(n, 1);
      stack.push({ name: n, next: 0, refs });
    };
    if (state.get(start) === 2) return;
    enter(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.refs.length) {
        const ref = top.refs[top.next++]!;
        if (ref.kind !== "node") continue;
        const s = state.get(ref.node);
        if (s === 1) fail(`node ${ref.node} depends on itself`);
        if (s === undefined) enter(ref.node);
        continue;
      }
      stack.pop();
      state.set(top.name, 2);
      const def = defs.get(top.name)!;
      const node: PlannedNode = {
        name: top.name,
        op: def.op,
        inputs: top.refs,
        attrs: nodeAttrs(def.attr, `node ${top.name} (${def.op}) of ${where}`),
      };
      order.push(node);
    }
  };
  for (const ref of outputs) if (ref.kind === "node") visit(ref.node);
  return { name, inputNames, outputNames, order, outputs };
}
