import { type JsonValue, hostTensor } from "@kerastore/core";
import type { Layer } from "@kerastore/engine";
import { attr } from "@kerastore/savedmodel";
import { activationName, ints, lowerActivation, scalar } from "./lower-activations.js";
import {
  type LayerCall,
  type Lowering,
  T,
  knownDims,
  num,
  only,
  reshape,
  unsupported,
  withBiasAndActivation,
} from "./lower-call.js";
import {
  conv1d,
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  globalPool,
  pool,
  pool1d,
  separableConv2d,
} from "./lower-conv.js";
import { BREADTH_LOWERINGS } from "./lower-breadth.js";
import { bidirectional, recurrent } from "./lower-recurrent.js";
import { cropping, repeatVector, upSampling1d, upSampling2d, zeroPadding1d, zeroPadding2d } from "./lower-reshaping.js";

export type { LayerCall, LoweredTensor, Lowering } from "./lower-call.js";

function dense(call: LayerCall): string[] {
  const x = only(call);
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  if (x.shape.length === 2)
    return [withBiasAndActivation(call, call.b.op("MatMul", `${call.scope}/MatMul`, [x.ref, kernel], T))];
  const dims = knownDims(call, x.shape);
  const flat = reshape(call, x.ref, [dims[dims.length - 1]!], "Tensordot/Reshape");
  const product = call.b.op("MatMul", `${call.scope}/Tensordot/MatMul`, [flat, kernel], T);
  const units = num(call.config.units, 0);
  const back = reshape(call, product, [...dims.slice(0, -1), units], "Tensordot");
  return [withBiasAndActivation(call, back)];
}

/** Normalization over the last axis of (x - mean) * rsqrt(variance + epsilon) * gamma + beta. */
function lastAxisOnly(call: LayerCall, rank: number): void {
  const axis = call.config.axis;
  const list = Array.isArray(axis) ? axis : [axis ?? -1];
  if (list.length !== 1 || (list[0] !== -1 && list[0] !== rank - 1))
    throw unsupported(call, `axis ${JSON.stringify(axis)} (only the last axis is lowered)`);
}

function normalize(call: LayerCall, x: string, mean: string, variance: string): string {
  const { b, scope } = call;
  const eps = scalar(b, `${scope}/batchnorm/add/y`, num(call.config.epsilon, 1e-3));
  let scale = b.op(
    "Rsqrt",
    `${scope}/batchnorm/Rsqrt`,
    [b.op("AddV2", `${scope}/batchnorm/add`, [variance, eps], T)],
    T,
  );
  const gamma = call.config.scale === false ? undefined : call.weight("gamma");
  if (gamma !== undefined) scale = b.op("Mul", `${scope}/batchnorm/mul`, [scale, gamma], T);
  const centered = b.op("Sub", `${scope}/batchnorm/sub`, [x, mean], T);
  const scaled = b.op("Mul", `${scope}/batchnorm/mul_1`, [centered, scale], T);
  const beta = call.config.center === false ? undefined : call.weight("beta");
  return beta === undefined ? scaled : b.op("AddV2", `${scope}/batchnorm/add_1`, [scaled, beta], T);
}

function batchNormalization(call: LayerCall): string[] {
  const x = only(call);
  lastAxisOnly(call, x.shape.length);
  const mean = call.weight("moving_mean");
  const variance = call.weight("moving_variance");
  if (mean === undefined || variance === undefined) throw unsupported(call, "it has no moving statistics");
  return [normalize(call, x.ref, mean, variance)];
}

function layerNormalization(call: LayerCall): string[] {
  const x = only(call);
  lastAxisOnly(call, x.shape.length);
  if (call.config.rms_scaling === true) throw unsupported(call, "rms_scaling");
  const { b, scope } = call;
  const axes = () => ints(b, `${scope}/moments/reduction_indices`, [x.shape.length - 1]);
  const keep = { ...T, Tidx: attr.type("int32"), keep_dims: attr.bool(true) };
  const mean = b.op("Mean", `${scope}/moments/mean`, [x.ref, axes()], keep);
  const squares = b.op("SquaredDifference", `${scope}/moments/SquaredDifference`, [x.ref, mean], T);
  const variance = b.op("Mean", `${scope}/moments/variance`, [squares, axes()], keep);
  return [normalize(call, x.ref, mean, variance)];
}

function embedding(call: LayerCall): string[] {
  const x = only(call);
  if (call.config.mask_zero === true) throw unsupported(call, "mask_zero (the mask it passes on is not lowered)");
  const table = call.weight("embeddings");
  if (table === undefined) throw unsupported(call, "it has no embeddings");
  const indices =
    x.dtype === "int32" || x.dtype === "int64"
      ? x.ref
      : call.b.op("Cast", `${call.scope}/Cast`, [x.ref], { SrcT: attr.type(x.dtype), DstT: attr.type("int32") });
  const axis = scalar(call.b, `${call.scope}/GatherV2/axis`, 0, "int32");
  const tindices = x.dtype === "int64" ? "int64" : "int32";
  return [
    call.b.op("GatherV2", `${call.scope}/GatherV2`, [table, indices, axis], {
      Tparams: attr.type("float32"),
      Tindices: attr.type(tindices),
      Taxis: attr.type("int32"),
    }),
  ];
}

function merge(op: "AddV2" | "Sub" | "Mul" | "Maximum" | "Minimum" | "Average"): Lowering {
  return (call) => {
    const refs = call.inputs.map((t) => t.ref);
    if (refs.length < 2 || (op === "Sub" && refs.length !== 2))
      throw unsupported(call, `it takes ${refs.length} inputs`);
    const tfOp = op === "Average" ? "AddV2" : op;
    let acc = refs[0]!;
    for (const [i, r] of refs.slice(1).entries())
      acc = call.b.op(tfOp, `${call.scope}/${tfOp}${i === 0 ? "" : `_${i}`}`, [acc, r], T);
    if (op === "Average")
      acc = call.b.op("Mul", `${call.scope}/mul`, [acc, scalar(call.b, `${call.scope}/Const`, 1 / refs.length)], T);
    return [acc];
  };
}

function concatenate(call: LayerCall): string[] {
  const rank = call.inputs[0]?.shape.length ?? 0;
  const raw = num(call.config.axis, -1);
  const axis = raw < 0 ? raw + rank : raw;
  const axisRef = scalar(call.b, `${call.scope}/concat/axis`, axis, "int32");
  return [
    call.b.op("ConcatV2", `${call.scope}/concat`, [...call.inputs.map((t) => t.ref), axisRef], {
      ...T,
      N: attr.int(call.inputs.length),
      Tidx: attr.type("int32"),
    }),
  ];
}

function toOutputShape(call: LayerCall): string[] {
  const x = only(call);
  const out = call.outputShapes[0];
  if (out === undefined) throw unsupported(call, "its output shape is unknown");
  return [reshape(call, x.ref, knownDims(call, out))];
}

function reluLayer(call: LayerCall): string[] {
  const x = only(call);
  const max = call.config.max_value;
  const slope = num(call.config.negative_slope, 0);
  const threshold = num(call.config.threshold, 0);
  if (threshold !== 0) throw unsupported(call, "a non-zero threshold");
  if (slope !== 0) {
    if (max !== null && max !== undefined) throw unsupported(call, "max_value with negative_slope");
    return [call.b.op("LeakyRelu", `${call.scope}/LeakyRelu`, [x.ref], { ...T, alpha: attr.float(slope) })];
  }
  if (max === 6) return [call.b.op("Relu6", `${call.scope}/Relu6`, [x.ref], T)];
  const relu = call.b.op("Relu", `${call.scope}/Relu`, [x.ref], T);
  if (max === null || max === undefined) return [relu];
  return [
    call.b.op("Minimum", `${call.scope}/Minimum`, [relu, scalar(call.b, `${call.scope}/max_value`, num(max, 0))], T),
  ];
}

const identity: Lowering = (call) => [only(call).ref];

/** TimeDistributed: steps folded into the batch (`Reshape`), the inner layer, unfolded again. */
function timeDistributed(call: LayerCall): string[] {
  const x = only(call);
  const inner = (call.layer as { layer?: Layer }).layer;
  if (inner === undefined) throw unsupported(call, "it wraps no layer");
  const out = call.outputShapes[0];
  if (out === undefined) throw unsupported(call, "its output shape is unknown");
  const [steps, ...rest] = knownDims(call, x.shape);
  const [, ...outRest] = knownDims(call, out);
  const folded = reshape(call, x.ref, rest, "Reshape");
  const [y] = call.sublayer(inner, [{ ref: folded, shape: [null, ...rest], dtype: x.dtype }]);
  return [reshape(call, y!, [steps!, ...outRest], "Reshape_1")];
}

/** x * scale + offset in float32 (scale and offset numbers, or per-channel lists). */
function rescaling(call: LayerCall): string[] {
  const x = only(call);
  const { b, scope } = call;
  const constant = (value: JsonValue | undefined, name: string, fallback: number): string => {
    if (Array.isArray(value)) {
      const data = Float32Array.from(value.map((v) => num(v, fallback)));
      return b.op("Const", `${scope}/${name}`, [], {
        dtype: attr.type("float32"),
        value: attr.tensor(hostTensor("float32", [data.length], data)),
      });
    }
    return scalar(b, `${scope}/${name}`, num(value, fallback));
  };
  const input =
    x.dtype === "float32"
      ? x.ref
      : b.op("Cast", `${scope}/Cast`, [x.ref], { SrcT: attr.type(x.dtype), DstT: attr.type("float32") });
  const scaled = b.op("Mul", `${scope}/mul`, [input, constant(call.config.scale, "Cast_1", 1)], T);
  return [b.op("AddV2", `${scope}/add`, [scaled, constant(call.config.offset, "Cast_2", 0)], T)];
}

/** The layer classes a SavedModel can be written with, and how. */
export const LAYER_LOWERINGS: Readonly<Record<string, Lowering>> = {
  Dense: dense,
  Activation: (call) => [
    lowerActivation(
      call.b,
      call.scope,
      only(call).ref,
      activationName(call.config.activation),
      call.where,
      call.keras2Definitions,
    ),
  ],
  ReLU: reluLayer,
  LeakyReLU: (call) => [
    call.b.op("LeakyRelu", `${call.scope}/LeakyRelu`, [only(call).ref], {
      ...T,
      alpha: attr.float(num(call.config.negative_slope ?? call.config.alpha, 0.3)),
    }),
  ],
  Softmax: (call) => {
    const x = only(call);
    const axis = num(call.config.axis, -1);
    if (axis !== -1 && axis !== x.shape.length - 1)
      throw unsupported(call, `axis ${axis} (only the last axis is lowered)`);
    return [call.b.op("Softmax", `${call.scope}/Softmax`, [x.ref], T)];
  },
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  // Augmentation layers do nothing at inference.
  RandomFlip: identity,
  RandomRotation: identity,
  RandomTranslation: identity,
  RandomZoom: identity,
  RandomContrast: identity,
  Flatten: toOutputShape,
  Reshape: toOutputShape,
  Add: merge("AddV2"),
  Subtract: merge("Sub"),
  Multiply: merge("Mul"),
  Average: merge("Average"),
  Maximum: merge("Maximum"),
  Minimum: merge("Minimum"),
  Concatenate: concatenate,
  Conv1D: conv1d,
  Conv2D: conv2d,
  Conv2DTranspose: conv2dTranspose,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  ZeroPadding2D: zeroPadding2d,
  ZeroPadding1D: zeroPadding1d,
  Cropping1D: cropping(1),
  Cropping2D: cropping(2),
  UpSampling1D: upSampling1d,
  UpSampling2D: upSampling2d,
  RepeatVector: repeatVector,
  MaxPooling1D: pool1d("MaxPool"),
  AveragePooling1D: pool1d("AvgPool"),
  GlobalAveragePooling1D: globalPool("Mean"),
  GlobalMaxPooling1D: globalPool("Max"),
  Identity: identity,
  Rescaling: rescaling,
  Permute: (call) => {
    const dims = Array.isArray(call.config.dims) ? call.config.dims.map((d) => num(d, 0)) : [];
    if (dims.length !== only(call).shape.length - 1)
      throw unsupported(call, `dims ${JSON.stringify(call.config.dims)}`);
    return [
      call.b.op(
        "Transpose",
        `${call.scope}/transpose`,
        [only(call).ref, ints(call.b, `${call.scope}/transpose/perm`, [0, ...dims])],
        { ...T, Tperm: attr.type("int32") },
        "y",
      ),
    ];
  },
  MaxPooling2D: pool("MaxPool"),
  AveragePooling2D: pool("AvgPool"),
  GlobalAveragePooling2D: globalPool("Mean"),
  GlobalMaxPooling2D: globalPool("Max"),
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Embedding: embedding,
  SimpleRNN: recurrent("simple"),
  LSTM: recurrent("lstm"),
  GRU: recurrent("gru"),
  Bidirectional: bidirectional,
  TimeDistributed: timeDistributed,
  ...BREADTH_LOWERINGS,
};
