import type { SavedModelData, SavedNode, SavedVariable } from "@kerastore/core";
import { TFJS_MODEL_CLASSES } from "./tfjs-support.js";

/** One weight as tfjs-layers names it, with the tree's variable holding its value. */
export interface NamedWeight {
  readonly name: string;
  readonly variable: SavedVariable;
}

/**
 * The model's weights under the names tfjs-layers gives its variables (what `loadLayersModel`
 * matches the manifest against), in Keras order, layer by layer:
 * - a layer's own variables: `<layer>/<variable>` (`dense/kernel`);
 * - an RNN's cell and a TimeDistributed's layer add nothing: `lstm/kernel`, `td/kernel`;
 * - Bidirectional adds its inner layers' names: `bidi/forward_lstm/kernel`;
 * - stacked cells are `RNNCell_<i>`: `rnn/RNNCell_0/kernel`;
 * - a nested model's layers are named as themselves, not under the model.
 */
export function tfjsWeightNames(data: SavedModelData): NamedWeight[] {
  const out: NamedWeight[] = [];
  for (const edge of data.root.children) {
    if (edge.name === "optimizer") continue;
    visitLayer(edge.node, out);
  }
  return out;
}

function visitLayer(node: SavedNode, out: NamedWeight[]): void {
  if (TFJS_MODEL_CLASSES.has(node.className)) {
    // A legacy .h5 holds a nested model's weights under the model itself, each path naming its
    // layer: tfjs-layers' names, as its layers go by their own names. tf.keras 2 wrote
    // `dense/kernel`; Keras 3 writes the nested model's name first (`inner/dense/kernel`).
    const own = node.name === undefined ? undefined : `${node.name}/`;
    for (const variable of node.variables) {
      const path = variable.path;
      const name =
        own !== undefined && path.startsWith(own) && path.split("/").length > 2 ? path.slice(own.length) : path;
      out.push({ name, variable });
    }
    for (const edge of node.children) if (edge.name !== "optimizer") visitLayer(edge.node, out);
    return;
  }
  // Keras order: the whole subtree's trainable variables, then its non-trainable ones.
  const all: NamedWeight[] = [];
  collect(node, `${node.name ?? node.className}/`, all);
  out.push(...all.filter((w) => w.variable.trainable), ...all.filter((w) => !w.variable.trainable));
}

function collect(node: SavedNode, prefix: string, out: NamedWeight[]): void {
  const rename = VARIABLE_RENAMES[node.className] ?? {};
  for (const variable of node.variables) {
    // A legacy .h5's Bidirectional holds both layers' weights itself, each path naming its side
    // (`forward_lstm/lstm_cell/kernel`); a live model's tree has them under its two children.
    const side =
      node.className === "Bidirectional"
        ? variable.path.split("/").find((p) => p.startsWith("forward_") || p.startsWith("backward_"))
        : undefined;
    const edge = side?.startsWith("backward_") ? "backward_layer" : "forward_layer";
    const inner = side === undefined ? "" : `${bidirectionalName(node, edge, { ...node, name: side })}/`;
    out.push({ name: `${prefix}${inner}${rename[variable.name] ?? variable.name}`, variable });
  }
  node.children.forEach((edge, i) => {
    const child = edge.node;
    if (node.className === "Bidirectional")
      collect(child, `${prefix}${bidirectionalName(node, edge.name, child)}/`, out);
    else if (node.className === "StackedRNNCells") collect(child, `${prefix}RNNCell_${i}/`, out);
    else collect(child, prefix, out);
  });
}

/** Variables Keras 3 names otherwise than tfjs-layers (and Keras 2) do, by class. */
const VARIABLE_RENAMES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  DepthwiseConv2D: { kernel: "depthwise_kernel" },
};

/**
 * tfjs-layers names a Bidirectional's two layers `forward_<name>` / `backward_<name>` after the
 * `name` in its `layer` config, whatever the saved inner layers are called (a Keras 3 config's
 * inner layer is already `forward_lstm`, so tfjs-layers' is `forward_forward_lstm`).
 */
function bidirectionalName(node: SavedNode, edge: string, child: SavedNode): string {
  const layer = node.config?.["layer"];
  const inner = typeof layer === "object" && layer !== null && !Array.isArray(layer) ? layer["config"] : undefined;
  const name = typeof inner === "object" && inner !== null && !Array.isArray(inner) ? inner["name"] : undefined;
  if (typeof name !== "string") return child.name ?? edge;
  return `${edge === "backward_layer" ? "backward" : "forward"}_${name}`;
}
