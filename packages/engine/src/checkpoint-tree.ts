import type { SavedEdge, SavedNode, SavedVariable } from "@kerastore/core";

/** Options of {@link toCheckpointTree}. */
export interface CheckpointTreeOptions {
  /**
   * Also add the names Keras 3 on TensorFlow gives the same objects (`_operations/N`,
   * `_functional/_operations/N`, `_kernel`, optimizer `_iterations`, `_variables/N`) as extra
   * edges, so that checkpoints `tf.train.Checkpoint(model=keras3_model)` wrote match too.
   * For restoring only: a written checkpoint holds tf.keras 2 names alone. Default false.
   */
  readonly keras3Aliases?: boolean | undefined;
}

/** Classes whose layers are tracked as `layer_with_weights-N` / `layer-N` (tf.keras 2 Functional). */
const LAYERED_MODELS: ReadonlySet<string> = new Set(["Functional", "Sequential", "Model"]);

/**
 * tf.keras 2 optimizer slot names (OptimizerV2 `add_slot`) for the Keras 3 slot names the
 * engine's optimizers use; a slot not listed keeps its Keras 3 name.
 */
const LEGACY_SLOT_NAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  Adam: { momentum: "m", velocity: "v", velocity_hat: "vhat" },
  AdamW: { momentum: "m", velocity: "v", velocity_hat: "vhat" },
  Nadam: { momentum: "m", velocity: "v" },
  Adamax: { momentum: "m", norm: "v" },
  RMSprop: { velocity: "rms", momentum: "momentum", average_gradient: "mg" },
  SGD: { momentum: "momentum" },
  Adagrad: { accumulator: "accumulator" },
  Adadelta: { accumulated_grad: "accum_grad", accumulated_delta_var: "accum_var" },
});

/** tf.keras 2 names of the optimizer's own variables. */
const LEGACY_OPTIMIZER_NAMES: Readonly<Record<string, string>> = Object.freeze({ iteration: "iter" });

/**
 * Renames a saved object tree in the docs/saved-tree.md form (model node with one edge per
 * layer, named by layer name; `optimizer` with Keras 3 variables and `slots`) into the
 * object graph tf.keras 2 checkpoints use, so `writeCheckpoint` gives the keys
 * `model.save_weights("ckpt")` gives (`layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE`).
 *
 * Functional and Sequential nodes get, per layer `i` of their layers, `layer_with_weights-N`
 * (only when the layer's subtree holds variables; its own counter) and then `layer-i`, both
 * to one node; other layers keep their attribute edges (`cell`, `forward_layer`). Variables
 * become attribute edges (`kernel`). The optimizer gets `iter`, `learning_rate` and its slots
 * under OptimizerV2 names (`m`, `v`). The result shares the input's `SavedVariable` objects, so
 * a restore into it sets the values of the input tree.
 */
export function toCheckpointTree(root: SavedNode, options: CheckpointTreeOptions = {}): SavedNode {
  const aliases = options.keras3Aliases === true;
  const done = new Map<SavedNode, SavedNode>();
  const convert = (node: SavedNode): SavedNode => {
    const known = done.get(node);
    if (known !== undefined) return known;
    if (isOptimizerNode(node)) {
      const optimizer = optimizerNode(node, aliases);
      done.set(node, optimizer);
      return optimizer;
    }
    const out: SavedNode = { className: node.className, name: node.name, variables: [], children: [] };
    done.set(node, out);
    const names: string[] = [];
    const given = node.extras?.variableNames;
    for (const [i, v] of node.variables.entries()) {
      const name = Array.isArray(given) && typeof given[i] === "string" ? given[i] : v.name;
      out.variables.push(v);
      names.push(name);
      if (aliases && !name.startsWith("_")) {
        // Keras 3 keeps some variables behind properties (Dense `_kernel`, Embedding `_embeddings`).
        out.variables.push(v);
        names.push(`_${name}`);
      }
    }
    if (names.some((n, i) => n !== out.variables[i]!.name)) out.extras = { variableNames: names };
    if (!LAYERED_MODELS.has(node.className)) {
      for (const edge of node.children) out.children.push({ name: edge.name, node: convert(edge.node) });
      return out;
    }
    const layerEdges = node.children.filter((e) => !isOptimizerEdge(e));
    const layers = layerEdges.map((e) => convert(e.node));
    let withWeights = 0;
    layerEdges.forEach((edge, i) => {
      if (holdsVariables(edge.node))
        out.children.push({ name: `layer_with_weights-${withWeights++}`, node: layers[i]! });
      out.children.push({ name: `layer-${i}`, node: layers[i]! });
    });
    if (aliases) out.children.push(...keras3LayerEdges(node.className, layers));
    for (const edge of node.children) {
      if (!isOptimizerEdge(edge)) continue;
      const known = done.get(edge.node);
      const optimizer = known ?? optimizerNode(edge.node, aliases);
      done.set(edge.node, optimizer);
      out.children.push({ name: "optimizer", node: optimizer });
    }
    return out;
  };
  return convert(root);
}

/** Marks a node as an optimizer for {@link toCheckpointTree} wherever it sits in the tree. */
export const OPTIMIZER_MARK = "optimizer";

function isOptimizerNode(node: SavedNode): boolean {
  return node.extras?.[OPTIMIZER_MARK] === true;
}

function isOptimizerEdge(edge: SavedEdge): boolean {
  return edge.name === "optimizer" || isOptimizerNode(edge.node);
}

/** True when a node or anything below it holds a variable (Keras's `layer.weights` is not empty). */
export function holdsVariables(node: SavedNode, seen = new Set<SavedNode>()): boolean {
  if (seen.has(node)) return false;
  seen.add(node);
  return node.variables.length > 0 || node.children.some((e) => holdsVariables(e.node, seen));
}

/** A list-like node (`_operations`) whose edges `0`, `1`, ... lead to `items`. */
function listNode(items: readonly SavedNode[], offset = 0): SavedNode {
  return {
    className: "ListWrapper",
    variables: [],
    children: items.map((node, i) => ({ name: String(i + offset), node })),
  };
}

/**
 * Keras 3 tracks a Functional's layers as `_operations` (InputLayers included, as in
 * `model.layers`) and a Sequential's through its inner Functional, `_functional/_operations`,
 * whose item 0 is the InputLayer the Sequential's `layers` leave out.
 */
function keras3LayerEdges(className: string, layers: readonly SavedNode[]): SavedEdge[] {
  if (className !== "Sequential") return [{ name: "_operations", node: listNode(layers) }];
  const inner = listNode(layers, 1);
  inner.children.unshift({ name: "0", node: { className: "InputLayer", variables: [], children: [] } });
  return [
    {
      name: "_functional",
      node: { className: "Functional", variables: [], children: [{ name: "_operations", node: inner }] },
    },
  ];
}

/**
 * The optimizer under OptimizerV2 names (`iter`, `learning_rate`, slots `m` / `v` linked to
 * their variables). A variable that is neither a linked slot nor uniquely named (slots of
 * variables outside the tree) goes under Keras 3's `_variables/<index>` instead; with
 * `aliases`, every variable is also there, plus `_iterations` and `_learning_rate`.
 */
function optimizerNode(node: SavedNode, aliases: boolean): SavedNode {
  const linked = new Set((node.slots ?? []).map((s) => s.slot));
  const legacySlots = LEGACY_SLOT_NAMES[node.className] ?? {};
  const out: SavedNode = { className: node.className, name: node.name, variables: [], children: [] };
  const names: string[] = [];
  const count = new Map<string, number>();
  for (const v of node.variables) count.set(v.name, (count.get(v.name) ?? 0) + 1);
  const listed: SavedVariable[] = [];
  const listNames: string[] = [];
  for (const [i, v] of node.variables.entries()) {
    if (aliases || (!linked.has(v) && count.get(v.name) !== 1)) {
      listed.push(v);
      listNames.push(String(i));
    }
    if (linked.has(v) || count.get(v.name) !== 1) continue;
    out.variables.push(v);
    names.push(LEGACY_OPTIMIZER_NAMES[v.name] ?? v.name);
    if (aliases) {
      out.variables.push(v);
      names.push(`_${v.name === "iteration" ? "iterations" : v.name}`);
    }
  }
  out.extras = { variableNames: names };
  out.slots = (node.slots ?? []).map((s) => ({
    original: s.original,
    slotName: legacySlots[s.slotName] ?? s.slotName,
    slot: s.slot,
  }));
  if (listed.length > 0) {
    out.children.push({
      name: "_variables",
      node: { className: "ListWrapper", variables: listed, children: [], extras: { variableNames: listNames } },
    });
  }
  return out;
}
