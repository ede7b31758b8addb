import type { ActivationInfo } from "@kerastore/engine";
import { BuiltinOperator } from "@kerastore/tflite";
import { Fused, applyActivation, fusable } from "./activations.js";
import {
  type FoldedNorm,
  type LayerCall,
  type Lowered,
  only,
  reshape,
  transpose2d,
  unsupported,
} from "./lower-call.js";

/** Scales weights along their output axis and the bias by a folded BatchNormalization. */
export function foldInto(
  weights: Float32Array,
  bias: Float32Array | undefined,
  outAxisInner: number,
  outChannels: number,
  fold: FoldedNorm | undefined,
): { weights: Float32Array; bias: Float32Array | undefined } {
  if (fold === undefined) return { weights, bias };
  const w = new Float32Array(weights.length);
  // Weights laid out with the output channel at index floor(i / outAxisInner) % outChannels.
  for (let i = 0; i < w.length; i++) w[i] = weights[i]! * fold.scale[Math.floor(i / outAxisInner) % outChannels]!;
  const b = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) b[c] = (bias?.[c] ?? 0) * fold.scale[c]! + fold.offset[c]!;
  return { weights: w, bias: b };
}

/** An op's result with its activation: fused into the op's options when it can be, else after it. */
export function activationOf(call: LayerCall): ActivationInfo | undefined {
  return (call.layer as unknown as { activation?: ActivationInfo }).activation;
}

/** Dense as FULLY_CONNECTED (`keep_num_dims` for inputs of rank > 2), weights `[units, in]`. */
export function dense(call: LayerCall): Lowered[] {
  const x = only(call);
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  const [inDim, units] = kernel.shape as [number, number];
  const { g } = call;
  const folded = foldInto(
    transpose2d(kernel.values, inDim, units),
    call.weight("bias")?.values,
    inDim,
    units,
    call.fold,
  );
  const w = g.weight(`${call.name}/kernel`, [units, inDim], folded.weights, { hybrid: true, channelAxis: 0 });
  const b = folded.bias === undefined ? -1 : g.floats(`${call.name}/bias`, [units], folded.bias);
  const act = activationOf(call);
  const fused = fusable(act);
  const shape = [...x.shape.slice(0, -1), units];
  const index = g.op(
    BuiltinOperator.FULLY_CONNECTED,
    [x.index, w, b],
    shape,
    fused === undefined ? `${call.name}/MatMul` : call.name,
    {
      kind: "FullyConnectedOptions",
      fusedActivationFunction: fused ?? Fused.NONE,
      keepNumDims: x.shape.length > 2,
      asymmetricQuantizeInputs: g.isQuantized(w),
    },
    g.isQuantized(w) ? 9 : x.shape.length > 2 ? 5 : 1,
  );
  const y = { index, shape };
  return [fused === undefined ? applyActivation(g, act, y, call.name, call.where) : y];
}

/** Embedding as GATHER of the table's rows (float inputs are cast to int32 first). */
export function embedding(call: LayerCall): Lowered[] {
  const x = only(call);
  if (call.config.mask_zero === true)
    throw unsupported(call, "mask_zero (the mask it passes on has no TFLite lowering)");
  const table = call.weight("embeddings");
  if (table === undefined) throw unsupported(call, "it has no embeddings");
  const { g } = call;
  const t = g.weight(`${call.name}/embeddings`, table.shape, table.values);
  const ids =
    g.typeOf(x.index) === 2 ? x.index : g.typedOp(BuiltinOperator.CAST, [x.index], x.shape, 2, `${call.name}/Cast`);
  const shape = [...x.shape, table.shape[1]!];
  return [
    {
      index: g.op(BuiltinOperator.GATHER, [t, ids], shape, call.name, { kind: "GatherOptions", axis: 0, batchDims: 0 }),
      shape,
    },
  ];
}

/** The scale and offset of a BatchNormalization at inference: `x * scale + offset`. */
export function normParams(call: Pick<LayerCall, "config" | "weight" | "where">): FoldedNorm {
  const mean = call.weight("moving_mean");
  const variance = call.weight("moving_variance");
  if (mean === undefined || variance === undefined) throw unsupported(call, "it has no moving statistics");
  const eps = typeof call.config.epsilon === "number" ? call.config.epsilon : 1e-3;
  const gamma = call.config.scale === false ? undefined : call.weight("gamma");
  const beta = call.config.center === false ? undefined : call.weight("beta");
  const n = mean.values.length;
  const scale = new Float32Array(n);
  const offset = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    scale[i] = (gamma?.values[i] ?? 1) / Math.sqrt(variance.values[i]! + eps);
    offset[i] = (beta?.values[i] ?? 0) - mean.values[i]! * scale[i]!;
  }
  return { scale, offset };
}

/** BatchNormalization not folded into an op: MUL and ADD with per-channel constants. */
export function batchNormalization(call: LayerCall): Lowered[] {
  const x = only(call);
  const axis = call.config.axis;
  const list = Array.isArray(axis) ? axis : [axis ?? -1];
  if (list.length !== 1 || (list[0] !== -1 && list[0] !== x.shape.length - 1))
    throw unsupported(call, `axis ${JSON.stringify(axis)} (only the last axis is lowered)`);
  const { scale, offset } = normParams(call);
  const { g } = call;
  const n = scale.length;
  const mul = g.op(
    BuiltinOperator.MUL,
    [x.index, g.floats(`${call.name}/scale`, [n], scale)],
    x.shape,
    `${call.name}/mul`,
    { kind: "MulOptions", fusedActivationFunction: 0 },
  );
  return [
    {
      index: g.op(BuiltinOperator.ADD, [mul, g.floats(`${call.name}/offset`, [n], offset)], x.shape, call.name, {
        kind: "AddOptions",
        fusedActivationFunction: 0,
      }),
      shape: x.shape,
    },
  ];
}

/** Flatten and Reshape: a RESHAPE to the output shape. */
export function toOutputShape(call: LayerCall): Lowered[] {
  const shape = call.outputShapes[0];
  if (shape === undefined) throw unsupported(call, "its output shape is unknown");
  return [reshape(call, only(call), shape, "reshape")];
}
