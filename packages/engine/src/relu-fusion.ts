import type { Graph } from "./graph.js";
import type { Layer } from "./layer.js";
import { ReLU } from "./layers/activation-layers.js";
import { ActivationLayer } from "./layers/core.js";
import { Add } from "./layers/merge.js";
import { BatchNormalization } from "./layers/normalization.js";
import { KerasOperation } from "./layers/operations.js";
import { trainingReluOn } from "./ops/wasm/relu-train.js";
import type { KerasTensor, LayerNode } from "./symbolic.js";

// Training-time fusion of a ReLU into the layer before it: BatchNormalization -> ReLU (a
// ResNet's Conv -> BN -> ReLU) and Add (the layer, or keras.ops.add: `x + y`) -> ReLU (a
// residual block's end), where the first
// layer's output feeds only the ReLU. The first layer is called with `reluAfter` and returns
// the ReLU's output; the ReLU's node does not run. The batch normalization's fused kernels
// (ops/wasm/batch-norm-train.ts) then apply the ReLU as they write their output and take its
// gradient within their own passes; Add writes relu(a + b) in one pass (ops/wasm/relu-train.ts).
// Both compute what the two layers compute (the gradient's values under 2^-100 set to zero,
// as the engine's ReLU gradient does). Only while training: inference has its own folding
// (./conv-bn-fold.ts), and a ReLU alone is as fast as fused outside of training.

/** The training-time fusions of a graph: the heads' ReLU nodes, and the nodes not run on their own. */
export interface ReluFusions {
  readonly heads: ReadonlyMap<LayerNode, LayerNode>;
  readonly replaced: ReadonlySet<LayerNode>;
}

const plans = new WeakMap<Graph, ReluFusions>();
const NONE: ReluFusions = { heads: new Map(), replaced: new Set() };

/** Whether `layer` is a plain ReLU: Activation("relu") or ReLU() with its defaults, no activity regularizer. */
export function isPlainRelu(layer: Layer): boolean {
  if (layer.activityRegularizer !== null) return false;
  if (exactly(layer, ActivationLayer)) return layer.activation.builtin && layer.activation.name === "relu";
  return exactly(layer, ReLU) && layer.maxValue === null && layer.negativeSlope === 0 && layer.threshold === 0;
}

/** Whether `layer` can take a following ReLU in (BatchNormalization, Add, keras.ops.add; exactly these classes). */
export function takesReluAfter(layer: Layer): boolean {
  if (layer.activityRegularizer !== null || !trainingReluOn()) return false;
  return exactly(layer, BatchNormalization) || exactly(layer, Add) || (exactly(layer, KerasOperation) && layer.isAdd);
}

/** The fusions of `graph` (whose outputs are `outputs`); computed once per graph. */
export function trainingReluFusions(graph: Graph, outputs: readonly KerasTensor[]): ReluFusions {
  if (!trainingReluOn()) return NONE;
  const known = plans.get(graph);
  if (known !== undefined) return known;
  const consumers = new Map<KerasTensor, LayerNode[]>();
  for (const node of graph.nodes) for (const t of node.inputs) consumers.set(t, [...(consumers.get(t) ?? []), node]);
  const heads = new Map<LayerNode, LayerNode>();
  const replaced = new Set<LayerNode>();
  for (const node of graph.nodes) {
    if (node.outputs.length !== 1 || node.inputs.length === 0 || !takesReluAfter(node.layer)) continue;
    const out = node.outputs[0]!;
    const next = consumers.get(out);
    if (next?.length !== 1 || outputs.includes(out)) continue;
    const reluNode = next[0]!;
    if (reluNode.inputs.length !== 1 || reluNode.inputIsList || reluNode.outputs.length !== 1) continue;
    if (!isPlainRelu(reluNode.layer)) continue;
    heads.set(node, reluNode);
    replaced.add(reluNode);
  }
  const plan = { heads, replaced };
  plans.set(graph, plan);
  return plan;
}

function exactly<T>(value: unknown, cls: abstract new (...args: never[]) => T): value is T {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === cls.prototype;
}
