import type * as tf from "@tensorflow/tfjs-core";
import type { Graph } from "./graph.js";
import { Conv1D, Conv2D } from "./layers/conv.js";
import { ActivationLayer } from "./layers/core.js";
import { BatchNormalization } from "./layers/normalization.js";
import type { KerasTensor, LayerNode } from "./symbolic.js";

// Inference-time folding of BatchNormalization into the convolution before it: a functional
// graph's chains Conv1D/Conv2D (linear, one group, channels last) -> BatchNormalization (last
// axis) -> optionally Activation("relu"), where each output feeds only the next layer of the
// chain, run as one fused convolution (the kernel times the normalization's scale, the bias
// folded, the ReLU fused: XNNPACK's convolution with bias and clamp). Two passes over the
// feature map (scale-shift, ReLU) and their launches go. The folded weights are computed from
// the current weights at each call (a few small ops on the kernel), so nothing is cached that a
// weight update or a disposal could leave stale. Only when not training: fit's forward pass
// runs every layer as is.

/** One chain: its first node (the convolution), the nodes it replaces, its final output. */
export interface ConvBatchNormChain {
  readonly conv: Conv1D | Conv2D;
  readonly batchNorm: BatchNormalization;
  readonly relu: boolean;
  /** The batch-norm node and, with `relu`, the activation node: not run on their own. */
  readonly replaced: readonly LayerNode[];
  /** The chain's last output (the batch norm's, or the ReLU's). */
  readonly output: KerasTensor;
}

/** The chains of a graph, by their convolution node. */
export interface ConvBatchNormFolds {
  readonly heads: ReadonlyMap<LayerNode, ConvBatchNormChain>;
  readonly replaced: ReadonlySet<LayerNode>;
}

const plans = new WeakMap<Graph, ConvBatchNormFolds>();

/** The foldable chains of `graph` (whose outputs are `outputs`); computed once per graph. */
export function convBatchNormFolds(graph: Graph, outputs: readonly KerasTensor[]): ConvBatchNormFolds {
  const known = plans.get(graph);
  if (known !== undefined) return known;
  const consumers = new Map<KerasTensor, LayerNode[]>();
  for (const node of graph.nodes) for (const t of node.inputs) consumers.set(t, [...(consumers.get(t) ?? []), node]);
  // The one node that takes `t`, when `t` is neither a model output nor taken by another.
  const only = (t: KerasTensor): LayerNode | undefined => {
    const c = consumers.get(t);
    return c?.length === 1 && !outputs.includes(t) && c[0]!.inputs.length === 1 && !c[0]!.inputIsList
      ? c[0]
      : undefined;
  };
  const heads = new Map<LayerNode, ConvBatchNormChain>();
  const replaced = new Set<LayerNode>();
  for (const node of graph.nodes) {
    const conv = node.layer;
    // Exactly these classes: a subclass may compute something else.
    if (!(exactly(conv, Conv1D) || exactly(conv, Conv2D))) continue;
    if (node.inputs.length !== 1 || node.inputIsList || node.outputs.length !== 1 || !conv.foldable) continue;
    const bnNode = only(node.outputs[0]!);
    const bn = bnNode?.layer;
    if (bnNode === undefined || !exactly(bn, BatchNormalization) || bnNode.outputs.length !== 1) continue;
    if (!bn.foldsLastAxisOf(node.outputs[0]!.shape.length)) continue;
    const reluNode = only(bnNode.outputs[0]!);
    const act = reluNode?.layer;
    const relu =
      reluNode !== undefined &&
      exactly(act, ActivationLayer) &&
      act.activation.builtin &&
      act.activation.name === "relu" &&
      act.activityRegularizer === null &&
      reluNode.outputs.length === 1;
    const chain: ConvBatchNormChain = {
      conv,
      batchNorm: bn,
      relu,
      replaced: relu ? [bnNode, reluNode!] : [bnNode],
      output: relu ? reluNode!.outputs[0]! : bnNode.outputs[0]!,
    };
    heads.set(node, chain);
    for (const r of chain.replaced) replaced.add(r);
  }
  const plan = { heads, replaced };
  plans.set(graph, plan);
  return plan;
}

function exactly<T>(value: unknown, cls: abstract new (...args: never[]) => T): value is T {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === cls.prototype;
}

/** Runs a chain on the convolution's input: the chain's output. */
export function runChain(chain: ConvBatchNormChain, x: tf.Tensor): tf.Tensor {
  const { inv, shift } = chain.batchNorm.inferenceScaleShift();
  try {
    return chain.conv.callFolded(x, inv, shift, chain.relu);
  } finally {
    inv.dispose();
    shift.dispose();
  }
}
