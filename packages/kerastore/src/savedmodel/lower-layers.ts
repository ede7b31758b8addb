import type { DType, JsonObject, JsonValue } from "@kerastore/core";
import type { Layer, Shape } from "@kerastore/engine";
import { type FunctionBuilder, attr } from "@kerastore/savedmodel";
import { FacadeError } from "../errors.js";
import { activationName, ints, lowerActivation, scalar } from "./lower-activations.js";

/** A tensor of the function being built: its reference, static shape and dtype. */
export interface LoweredTensor {
  readonly ref: string;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** What a layer's lowering gets: the builder, the layer and its call. */
export interface LayerCall {
  readonly b: FunctionBuilder;
  readonly layer: Layer;
  readonly config: JsonObject;
  /** Node-name prefix (the layer's name). */
  readonly scope: string;
  readonly inputs: readonly LoweredTensor[];
  readonly outputShapes: readonly Shape[];
  /** For messages: `layer "dense" (Dense)`. */
  readonly where: string;
  /** A `ReadVariableOp` of the layer's own weight `name`, or undefined when it has none. */
  weight(name: string): string | undefined;
}

/** Lowers one call of a layer class to TensorFlow ops; returns its outputs' references. */
export type Lowering = (call: LayerCall) => string[];

const T = { T: attr.type("float32") };

function unsupported(call: LayerCall, reason: string): FacadeError {
  return new FacadeError("unsupported", `cannot save ${call.where} as a SavedModel: ${reason}; save to .keras or .h5 instead`);
}

function pair(value: JsonValue | undefined, fallback: number): [number, number] {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "number") return [value[0], value[1]];
  return [fallback, fallback];
}

function num(value: JsonValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

function only(call: LayerCall): LoweredTensor {
  const x = call.inputs[0];
  if (x === undefined || call.inputs.length !== 1) throw unsupported(call, `it takes ${call.inputs.length} inputs, expected 1`);
  return x;
}

function channelsLast(call: LayerCall): void {
  const format = call.config.data_format;
  if (format !== undefined && format !== null && format !== "channels_last") throw unsupported(call, `data_format "${String(format)}" (only channels_last is lowered)`);
}

/** Known non-batch dimensions of a shape, or an error naming the layer. */
function knownDims(call: LayerCall, shape: Shape): number[] {
  const rest = shape.slice(1);
  if (rest.some((d) => d === null)) throw unsupported(call, `its shape [${shape.map((d) => d ?? "None").join(", ")}] has unknown non-batch dimensions`);
  return rest as number[];
}

function reshape(call: LayerCall, x: string, dims: readonly number[], suffix = "Reshape"): string {
  return call.b.op("Reshape", `${call.scope}/${suffix}`, [x, ints(call.b, `${call.scope}/${suffix}/shape`, [-1, ...dims])], { ...T, Tshape: attr.type("int32") });
}

function withBiasAndActivation(call: LayerCall, y: string): string {
  const bias = call.config.use_bias === false ? undefined : call.weight("bias");
  const biased = bias === undefined ? y : call.b.op("BiasAdd", `${call.scope}/BiasAdd`, [y, bias], T);
  return lowerActivation(call.b, call.scope, biased, activationName(call.config.activation), call.where);
}

function dense(call: LayerCall): string[] {
  const x = only(call);
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  if (x.shape.length === 2) return [withBiasAndActivation(call, call.b.op("MatMul", `${call.scope}/MatMul`, [x.ref, kernel], T))];
  const dims = knownDims(call, x.shape);
  const flat = reshape(call, x.ref, [dims[dims.length - 1]!], "Tensordot/Reshape");
  const product = call.b.op("MatMul", `${call.scope}/Tensordot/MatMul`, [flat, kernel], T);
  const units = num(call.config.units, 0);
  const back = reshape(call, product, [...dims.slice(0, -1), units], "Tensordot");
  return [withBiasAndActivation(call, back)];
}

function conv2d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  if (num(call.config.groups, 1) !== 1) throw unsupported(call, "grouped convolution");
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  const [sh, sw] = pair(call.config.strides, 1);
  const [dh, dw] = pair(call.config.dilation_rate, 1);
  const padding = call.config.padding === "same" ? "SAME" : "VALID";
  const y = call.b.op("Conv2D", `${call.scope}/Conv2D`, [x.ref, kernel], {
    ...T,
    strides: attr.ints([1, sh, sw, 1]),
    dilations: attr.ints([1, dh, dw, 1]),
    padding: attr.str(padding),
    data_format: attr.str("NHWC"),
  });
  return [withBiasAndActivation(call, y)];
}

function pool(op: "MaxPool" | "AvgPool"): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const [ph, pw] = pair(call.config.pool_size, 2);
    const [sh, sw] = call.config.strides === null || call.config.strides === undefined ? [ph, pw] : pair(call.config.strides, ph);
    const padding = call.config.padding === "same" ? "SAME" : "VALID";
    return [call.b.op(op, `${call.scope}/${op}`, [x.ref], { ...T, ksize: attr.ints([1, ph, pw, 1]), strides: attr.ints([1, sh, sw, 1]), padding: attr.str(padding), data_format: attr.str("NHWC") })];
  };
}

function globalPool(op: "Mean" | "Max"): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const axes = ints(call.b, `${call.scope}/${op}/reduction_indices`, Array.from({ length: x.shape.length - 2 }, (_, i) => i + 1));
    return [call.b.op(op, `${call.scope}/${op}`, [x.ref, axes], { ...T, Tidx: attr.type("int32"), keep_dims: attr.bool(call.config.keepdims === true) })];
  };
}

/** Normalization over the last axis of (x - mean) * rsqrt(variance + epsilon) * gamma + beta. */
function lastAxisOnly(call: LayerCall, rank: number): void {
  const axis = call.config.axis;
  const list = Array.isArray(axis) ? axis : [axis ?? -1];
  if (list.length !== 1 || (list[0] !== -1 && list[0] !== rank - 1)) throw unsupported(call, `axis ${JSON.stringify(axis)} (only the last axis is lowered)`);
}

function normalize(call: LayerCall, x: string, mean: string, variance: string): string {
  const { b, scope } = call;
  const eps = scalar(b, `${scope}/batchnorm/add/y`, num(call.config.epsilon, 1e-3));
  let scale = b.op("Rsqrt", `${scope}/batchnorm/Rsqrt`, [b.op("AddV2", `${scope}/batchnorm/add`, [variance, eps], T)], T);
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
  const table = call.weight("embeddings");
  if (table === undefined) throw unsupported(call, "it has no embeddings");
  const indices = x.dtype === "int32" || x.dtype === "int64" ? x.ref : call.b.op("Cast", `${call.scope}/Cast`, [x.ref], { SrcT: attr.type(x.dtype), DstT: attr.type("int32") });
  const axis = scalar(call.b, `${call.scope}/GatherV2/axis`, 0, "int32");
  const tindices = x.dtype === "int64" ? "int64" : "int32";
  return [call.b.op("GatherV2", `${call.scope}/GatherV2`, [table, indices, axis], { Tparams: attr.type("float32"), Tindices: attr.type(tindices), Taxis: attr.type("int32") })];
}

function merge(op: "AddV2" | "Sub" | "Mul" | "Maximum" | "Minimum" | "Average"): Lowering {
  return (call) => {
    const refs = call.inputs.map((t) => t.ref);
    if (refs.length < 2 || (op === "Sub" && refs.length !== 2)) throw unsupported(call, `it takes ${refs.length} inputs`);
    const tfOp = op === "Average" ? "AddV2" : op;
    let acc = refs[0]!;
    for (const [i, r] of refs.slice(1).entries()) acc = call.b.op(tfOp, `${call.scope}/${tfOp}${i === 0 ? "" : `_${i}`}`, [acc, r], T);
    if (op === "Average") acc = call.b.op("Mul", `${call.scope}/mul`, [acc, scalar(call.b, `${call.scope}/Const`, 1 / refs.length)], T);
    return [acc];
  };
}

function concatenate(call: LayerCall): string[] {
  const rank = call.inputs[0]?.shape.length ?? 0;
  const raw = num(call.config.axis, -1);
  const axis = raw < 0 ? raw + rank : raw;
  const axisRef = scalar(call.b, `${call.scope}/concat/axis`, axis, "int32");
  return [call.b.op("ConcatV2", `${call.scope}/concat`, [...call.inputs.map((t) => t.ref), axisRef], { ...T, N: attr.int(call.inputs.length), Tidx: attr.type("int32") })];
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
  return [call.b.op("Minimum", `${call.scope}/Minimum`, [relu, scalar(call.b, `${call.scope}/max_value`, num(max, 0))], T)];
}

const identity: Lowering = (call) => [only(call).ref];

/** The layer classes a SavedModel can be written with, and how. */
export const LAYER_LOWERINGS: Readonly<Record<string, Lowering>> = {
  Dense: dense,
  Activation: (call) => [lowerActivation(call.b, call.scope, only(call).ref, activationName(call.config.activation), call.where)],
  ReLU: reluLayer,
  LeakyReLU: (call) => [call.b.op("LeakyRelu", `${call.scope}/LeakyRelu`, [only(call).ref], { ...T, alpha: attr.float(num(call.config.negative_slope ?? call.config.alpha, 0.3)) })],
  Softmax: (call) => {
    const x = only(call);
    const axis = num(call.config.axis, -1);
    if (axis !== -1 && axis !== x.shape.length - 1) throw unsupported(call, `axis ${axis} (only the last axis is lowered)`);
    return [call.b.op("Softmax", `${call.scope}/Softmax`, [x.ref], T)];
  },
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Flatten: toOutputShape,
  Reshape: toOutputShape,
  Add: merge("AddV2"),
  Subtract: merge("Sub"),
  Multiply: merge("Mul"),
  Average: merge("Average"),
  Maximum: merge("Maximum"),
  Minimum: merge("Minimum"),
  Concatenate: concatenate,
  Conv2D: conv2d,
  MaxPooling2D: pool("MaxPool"),
  AveragePooling2D: pool("AvgPool"),
  GlobalAveragePooling2D: globalPool("Mean"),
  GlobalMaxPooling2D: globalPool("Max"),
  BatchNormalization: batchNormalization,
  LayerNormalization: layerNormalization,
  Embedding: embedding,
};
