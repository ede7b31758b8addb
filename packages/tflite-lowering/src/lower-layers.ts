import { getActivation } from "@kerastore/engine";
import { BuiltinOperator } from "@kerastore/tflite";
import { applyActivation } from "./activations.js";
import { type LayerCall, type Lowered, type Lowering, num, only, outputShape, unsupported } from "./lower-call.js";
import {
  conv1d,
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  globalPool,
  pool1d,
  pool2d,
  separableConv2d,
  zeroPadding,
} from "./lower-conv.js";
import { batchNormalization, dense, embedding, toOutputShape } from "./lower-dense.js";
import { recurrent } from "./lower-recurrent.js";

const identity: Lowering = (call) => [only(call)];

function merge(code: number, kind: "AddOptions" | "MulOptions" | "SubOptions" | undefined, average = false): Lowering {
  return (call) => {
    if (call.inputs.length < 2 || (code === BuiltinOperator.SUB && call.inputs.length !== 2))
      throw unsupported(call, `it takes ${call.inputs.length} inputs`);
    const out = outputShape(call);
    let acc = call.inputs[0]!.index;
    for (const [i, x] of call.inputs.slice(1).entries()) {
      acc = call.g.op(
        code,
        [acc, x.index],
        out,
        i === call.inputs.length - 2 && !average ? call.name : `${call.name}/${i}`,
        kind === undefined ? undefined : { kind, fusedActivationFunction: 0 },
      );
    }
    if (average)
      acc = call.g.op(
        BuiltinOperator.MUL,
        [acc, call.g.floats(`${call.name}/scale`, [], Float32Array.of(1 / call.inputs.length))],
        out,
        call.name,
        { kind: "MulOptions", fusedActivationFunction: 0 },
      );
    return [{ index: acc, shape: out }];
  };
}

function concatenate(call: LayerCall): Lowered[] {
  const out = outputShape(call);
  const raw = num(call.config.axis, -1);
  const axis = raw < 0 ? raw + out.length : raw;
  return [
    {
      index: call.g.op(
        BuiltinOperator.CONCATENATION,
        call.inputs.map((x) => x.index),
        out,
        call.name,
        { kind: "ConcatenationOptions", axis, fusedActivationFunction: 0 },
      ),
      shape: out,
    },
  ];
}

function activationLayer(call: LayerCall): Lowered[] {
  const a =
    (call.layer as unknown as { activation?: Parameters<typeof applyActivation>[1] }).activation ??
    getActivation(call.config.activation ?? "linear");
  return [applyActivation(call.g, a, only(call), call.name, call.where)];
}

function reluLayer(call: LayerCall): Lowered[] {
  const x = only(call);
  const max = call.config.max_value;
  const slope = num(call.config.negative_slope, 0);
  if (num(call.config.threshold, 0) !== 0) throw unsupported(call, "a non-zero threshold");
  if (slope !== 0) {
    if (max !== null && max !== undefined) throw unsupported(call, "max_value with negative_slope");
    return [
      {
        index: call.g.op(BuiltinOperator.LEAKY_RELU, [x.index], x.shape, call.name, {
          kind: "LeakyReluOptions",
          alpha: slope,
        }),
        shape: x.shape,
      },
    ];
  }
  if (max === 6) return [{ index: call.g.op(BuiltinOperator.RELU6, [x.index], x.shape, call.name), shape: x.shape }];
  const relu = call.g.op(BuiltinOperator.RELU, [x.index], x.shape, call.name);
  if (max === null || max === undefined) return [{ index: relu, shape: x.shape }];
  return [
    {
      index: call.g.op(
        BuiltinOperator.MINIMUM,
        [relu, call.g.floats(`${call.name}/max_value`, [], Float32Array.of(num(max, 0)))],
        x.shape,
        `${call.name}/minimum`,
      ),
      shape: x.shape,
    },
  ];
}

function softmaxLayer(call: LayerCall): Lowered[] {
  const x = only(call);
  const axis = num(call.config.axis, -1);
  if (axis !== -1 && axis !== x.shape.length - 1)
    throw unsupported(call, `axis ${axis} (only the last axis is lowered)`);
  return [
    {
      index: call.g.op(BuiltinOperator.SOFTMAX, [x.index], x.shape, call.name, { kind: "SoftmaxOptions", beta: 1 }),
      shape: x.shape,
    },
  ];
}

/** Rescaling: x * scale + offset. */
function rescaling(call: LayerCall): Lowered[] {
  const x = only(call);
  const constant = (value: unknown, fallback: number, suffix: string) => {
    const list = Array.isArray(value)
      ? value.map((v) => (typeof v === "number" ? v : fallback))
      : [typeof value === "number" ? value : fallback];
    return call.g.floats(`${call.name}/${suffix}`, Array.isArray(value) ? [list.length] : [], Float32Array.from(list));
  };
  const mul = call.g.op(
    BuiltinOperator.MUL,
    [x.index, constant(call.config.scale, 1, "scale")],
    x.shape,
    `${call.name}/mul`,
    { kind: "MulOptions", fusedActivationFunction: 0 },
  );
  return [
    {
      index: call.g.op(BuiltinOperator.ADD, [mul, constant(call.config.offset, 0, "offset")], x.shape, call.name, {
        kind: "AddOptions",
        fusedActivationFunction: 0,
      }),
      shape: x.shape,
    },
  ];
}

/** Permute as TRANSPOSE (the batch axis stays first). */
function permute(call: LayerCall): Lowered[] {
  const x = only(call);
  const dims = Array.isArray(call.config.dims) ? call.config.dims.map((d) => num(d, 0)) : [];
  if (dims.length !== x.shape.length - 1) throw unsupported(call, `dims ${JSON.stringify(call.config.dims)}`);
  const out = outputShape(call);
  const perm = call.g.ints(`${call.name}/perm`, [dims.length + 1], [0, ...dims]);
  return [
    {
      index: call.g.op(BuiltinOperator.TRANSPOSE, [x.index, perm], out, call.name, { kind: "TransposeOptions" }),
      shape: out,
    },
  ];
}

/** Cropping1D / Cropping2D as STRIDED_SLICE. */
function cropping(call: LayerCall): Lowered[] {
  const x = only(call);
  const out = outputShape(call);
  const begin = out.map(() => 0);
  const c = call.config.cropping;
  const spatial = x.shape.length - 2;
  for (let i = 0; i < spatial; i++) {
    const v = spatial === 1 ? c : Array.isArray(c) ? c[i] : c;
    begin[i + 1] = typeof v === "number" ? v : Array.isArray(v) ? num(v[0], 0) : 0;
  }
  const end = begin.map((b, i) => b + out[i]!);
  const n = out.length;
  const g = call.g;
  const inputs = [
    x.index,
    g.ints(`${call.name}/begin`, [n], begin),
    g.ints(`${call.name}/end`, [n], end),
    g.ints(
      `${call.name}/strides`,
      [n],
      out.map(() => 1),
    ),
  ];
  const options = {
    kind: "StridedSliceOptions" as const,
    beginMask: 0,
    endMask: 0,
    ellipsisMask: 0,
    newAxisMask: 0,
    shrinkAxisMask: 0,
    offset: false,
  };
  return [{ index: g.op(BuiltinOperator.STRIDED_SLICE, inputs, out, call.name, options), shape: out }];
}

/** The layer classes that lower to TFLite builtin ops, and how. */
export const LAYER_LOWERINGS: Readonly<Record<string, Lowering>> = {
  Dense: dense,
  Conv1D: conv1d,
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Conv2DTranspose: conv2dTranspose,
  MaxPooling1D: pool1d(BuiltinOperator.MAX_POOL_2D),
  AveragePooling1D: pool1d(BuiltinOperator.AVERAGE_POOL_2D),
  MaxPooling2D: pool2d(BuiltinOperator.MAX_POOL_2D),
  AveragePooling2D: pool2d(BuiltinOperator.AVERAGE_POOL_2D),
  GlobalAveragePooling1D: globalPool(BuiltinOperator.MEAN),
  GlobalAveragePooling2D: globalPool(BuiltinOperator.MEAN),
  GlobalMaxPooling1D: globalPool(BuiltinOperator.REDUCE_MAX),
  GlobalMaxPooling2D: globalPool(BuiltinOperator.REDUCE_MAX),
  BatchNormalization: batchNormalization,
  Activation: activationLayer,
  ReLU: reluLayer,
  LeakyReLU: (call) => {
    const x = only(call);
    const alpha = num(call.config.negative_slope ?? call.config.alpha, 0.3);
    return [
      {
        index: call.g.op(BuiltinOperator.LEAKY_RELU, [x.index], x.shape, call.name, {
          kind: "LeakyReluOptions",
          alpha,
        }),
        shape: x.shape,
      },
    ];
  },
  Softmax: softmaxLayer,
  Flatten: toOutputShape,
  Reshape: toOutputShape,
  Concatenate: concatenate,
  Add: merge(BuiltinOperator.ADD, "AddOptions"),
  Subtract: merge(BuiltinOperator.SUB, "SubOptions"),
  Multiply: merge(BuiltinOperator.MUL, "MulOptions"),
  Average: merge(BuiltinOperator.ADD, "AddOptions", true),
  Maximum: merge(BuiltinOperator.MAXIMUM, undefined),
  Minimum: merge(BuiltinOperator.MINIMUM, undefined),
  Embedding: embedding,
  SimpleRNN: recurrent("simple"),
  LSTM: recurrent("lstm"),
  GRU: recurrent("gru"),
  ZeroPadding1D: zeroPadding,
  ZeroPadding2D: zeroPadding,
  Rescaling: rescaling,
  Permute: permute,
  Cropping1D: cropping,
  Cropping2D: cropping,
  // Identity at inference: removed, as Python's converter removes them.
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
  Identity: identity,
  RandomFlip: identity,
  RandomRotation: identity,
  RandomTranslation: identity,
  RandomZoom: identity,
  RandomContrast: identity,
};
