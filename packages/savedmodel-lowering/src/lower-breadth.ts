import { hostTensor } from "@kerastore/core";
import { localGeometry } from "@kerastore/engine";
import { attr } from "@kerastore/savedmodel";
import { ints, scalar } from "./lower-activations.js";
import { type LayerCall, type Lowering, T, knownDims, num, only, reshape, unsupported } from "./lower-call.js";
import { activationName, lowerActivation } from "./lower-activations.js";

/*
 * Lowerings of layers added for layer breadth (issue 20) that TensorFlow ops express directly:
 * the ones that are the identity at inference, LayerScale, the advanced activation layers,
 * UnitNormalization and Keras 2's LocallyConnected1D / 2D.
 */

const identity: Lowering = (call) => [only(call).ref];

/** LayerScale: x * gamma (Keras stores gamma unnamed: "variable"). */
function layerScale(call: LayerCall): string[] {
  const gamma = call.weight("variable") ?? call.weight("gamma");
  if (gamma === undefined) throw unsupported(call, "it has no scale weight");
  return [call.b.op("Mul", `${call.scope}/mul`, [only(call).ref, gamma], T)];
}

/** ELU with any alpha: relu(x) + alpha * elu(min(x, 0)), elu(x) itself when alpha is 1. */
function elu(call: LayerCall): string[] {
  const x = only(call).ref;
  const { b, scope } = call;
  const alpha = num(call.config.alpha, 1);
  if (alpha === 1) return [b.op("Elu", `${scope}/Elu`, [x], T)];
  const negative = b.op("Minimum", `${scope}/Minimum`, [x, scalar(b, `${scope}/zero`, 0)], T);
  const scaled = b.op(
    "Mul",
    `${scope}/mul`,
    [scalar(b, `${scope}/alpha`, alpha), b.op("Elu", `${scope}/Elu`, [negative], T)],
    T,
  );
  return [b.op("AddV2", `${scope}/add`, [b.op("Relu", `${scope}/Relu`, [x], T), scaled], T)];
}

/** ThresholdedReLU: x where x > theta, else 0. */
function thresholdedRelu(call: LayerCall): string[] {
  const x = only(call).ref;
  const { b, scope } = call;
  const above = b.op(
    "Greater",
    `${scope}/Greater`,
    [x, scalar(b, `${scope}/theta`, num(call.config.theta, 1))],
    T,
    "z",
  );
  const mask = b.op("Cast", `${scope}/Cast`, [above], { SrcT: attr.type("bool"), DstT: attr.type("float32") });
  return [b.op("Mul", `${scope}/mul`, [x, mask], T)];
}

/** PReLU: relu(x) - alpha * relu(-x), alpha broadcast over the shared axes. */
function prelu(call: LayerCall): string[] {
  const x = only(call).ref;
  const { b, scope } = call;
  const alpha = call.weight("alpha");
  if (alpha === undefined) throw unsupported(call, "it has no alpha");
  const positive = b.op("Relu", `${scope}/Relu`, [x], T);
  const negative = b.op("Relu", `${scope}/Relu_1`, [b.op("Neg", `${scope}/Neg`, [x], T)], T);
  return [b.op("Sub", `${scope}/sub`, [positive, b.op("Mul", `${scope}/mul`, [alpha, negative], T)], T)];
}

/** UnitNormalization: x / max(sqrt(sum(x^2 over axis)), 1e-12). */
function unitNormalization(call: LayerCall): string[] {
  const x = only(call);
  const { b, scope } = call;
  const rank = x.shape.length;
  const list = Array.isArray(call.config.axis) ? call.config.axis : [call.config.axis ?? -1];
  const axes = list.map((a) => {
    const n = num(a, -1);
    return n < 0 ? n + rank : n;
  });
  const squares = b.op("Square", `${scope}/Square`, [x.ref], T);
  const sum = b.op("Sum", `${scope}/Sum`, [squares, ints(b, `${scope}/Sum/reduction_indices`, axes)], {
    ...T,
    Tidx: attr.type("int32"),
    keep_dims: attr.bool(true),
  });
  const norm = b.op(
    "Maximum",
    `${scope}/Maximum`,
    [b.op("Sqrt", `${scope}/Sqrt`, [sum], T), scalar(b, `${scope}/epsilon`, 1e-12)],
    T,
  );
  return [b.op("RealDiv", `${scope}/truediv`, [x.ref, norm], T)];
}

const int32Const = (call: LayerCall, name: string, values: Int32Array): string =>
  call.b.op("Const", `${call.scope}/${name}`, [], {
    dtype: attr.type("int32"),
    value: attr.tensor(hostTensor("int32", [values.length], values)),
  });

const gather = (call: LayerCall, name: string, params: string, indices: string, axis: number): string =>
  call.b.op(
    "GatherV2",
    `${call.scope}/${name}`,
    [params, indices, scalar(call.b, `${call.scope}/${name}/axis`, axis, "int32")],
    {
      Tparams: attr.type("float32"),
      Tindices: attr.type("int32"),
      Taxis: attr.type("int32"),
    },
  );

const transpose = (call: LayerCall, name: string, x: string, perm: number[]): string =>
  call.b.op(
    "Transpose",
    `${call.scope}/${name}`,
    [x, ints(call.b, `${call.scope}/${name}/perm`, perm)],
    { ...T, Tperm: attr.type("int32") },
    "y",
  );

/** LocallyConnected1D / 2D ("valid"): patches gathered, one product per output position (engine's layout). */
function locallyConnected(call: LayerCall): string[] {
  const x = only(call);
  const dims = knownDims(call, x.shape);
  const channelsFirst = call.config.data_format === "channels_first";
  const spatial = channelsFirst ? dims.slice(1) : dims.slice(0, -1);
  const channels = channelsFirst ? dims[0]! : dims[dims.length - 1]!;
  const kernelSize = (call.config.kernel_size as number[]).map((k) => num(k, 1));
  const strides = (call.config.strides as number[]).map((s) => num(s, 1));
  const filters = num(call.config.filters, 0);
  const implementation = num(call.config.implementation, 1);
  const g = localGeometry(spatial, channels, kernelSize, strides, filters, channelsFirst);
  const stored = call.weight("kernel");
  if (stored === undefined) throw unsupported(call, "it has no kernel");
  const flat = reshape(call, x.ref, [g.inputSize], "Reshape");
  const picked = gather(call, "GatherV2", flat, int32Const(call, "patch_index", g.patchIndex()), 1);
  const patches = transpose(call, "transpose", reshape(call, picked, [g.positions, g.patch], "Reshape_1"), [1, 0, 2]);
  let kernel = stored;
  if (implementation !== 1) {
    const all = call.b.op(
      "Reshape",
      `${call.scope}/kernel/Reshape`,
      [stored, ints(call.b, `${call.scope}/kernel/Reshape/shape`, [-1])],
      {
        ...T,
        Tshape: attr.type("int32"),
      },
    );
    const entries = gather(
      call,
      "kernel/GatherV2",
      all,
      int32Const(call, "kernel_index", g.kernelIndex(implementation)),
      0,
    );
    kernel = call.b.op(
      "Reshape",
      `${call.scope}/kernel/Reshape_1`,
      [entries, ints(call.b, `${call.scope}/kernel/Reshape_1/shape`, [g.positions, g.patch, filters])],
      {
        ...T,
        Tshape: attr.type("int32"),
      },
    );
  }
  const product = call.b.op("BatchMatMulV2", `${call.scope}/MatMul`, [patches, kernel], {
    ...T,
    adj_x: attr.bool(false),
    adj_y: attr.bool(false),
  });
  let y = transpose(call, "transpose_1", product, [1, 0, 2]);
  if (channelsFirst)
    y = reshape(call, transpose(call, "transpose_2", y, [0, 2, 1]), [filters, ...g.outputSpatial], "Reshape_2");
  else y = reshape(call, y, [...g.outputSpatial, filters], "Reshape_2");
  const bias = call.config.use_bias === false ? undefined : call.weight("bias");
  if (bias !== undefined) {
    // As Keras 2's bias_add: channels first takes the bias reshaped (not transposed).
    const shaped = reshape(
      call,
      bias,
      channelsFirst ? [filters, ...g.outputSpatial] : [...g.outputSpatial, filters],
      "bias/Reshape",
    );
    y = call.b.op("AddV2", `${call.scope}/add`, [y, shaped], T);
  }
  return [
    lowerActivation(call.b, call.scope, y, activationName(call.config.activation), call.where, call.keras2Definitions),
  ];
}

/** The breadth layers' lowerings, by class name. */
export const BREADTH_LOWERINGS: Readonly<Record<string, Lowering>> = {
  ActivityRegularization: identity,
  SpatialDropout3D: identity,
  StochasticDepth: identity,
  LayerScale: layerScale,
  ELU: elu,
  ThresholdedReLU: thresholdedRelu,
  PReLU: prelu,
  UnitNormalization: unitNormalization,
  LocallyConnected1D: locallyConnected,
  LocallyConnected2D: locallyConnected,
};
