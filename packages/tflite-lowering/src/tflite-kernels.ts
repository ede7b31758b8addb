import { tf } from "@kerastore/engine";
import { BuiltinOperator, type BuiltinOptionsData, TensorType } from "@kerastore/tflite";

/** One operator's call: its input tensors (undefined for an optional input left out) and options. */
export interface KernelCall {
  readonly inputs: readonly (tf.Tensor | undefined)[];
  readonly options: BuiltinOptionsData | undefined;
  /** Static output shapes the file declares. */
  readonly outputShapes: readonly (readonly number[])[];
  /** Output TensorType values the file declares. */
  readonly outputTypes: readonly number[];
  /** Throws a typed error naming the operator. */
  fail(reason: string): never;
}

export type Kernel = (call: KernelCall) => tf.Tensor[];

function opt<T extends number | boolean>(call: KernelCall, name: string, fallback: T): T {
  const v = (call.options as Record<string, unknown> | undefined)?.[name];
  return (v === undefined ? fallback : v) as T;
}

function input(call: KernelCall, i: number): tf.Tensor {
  const t = call.inputs[i];
  if (t === undefined) call.fail(`input ${i} is missing`);
  return t;
}

/** The op's fused activation (ActivationFunctionType). */
function fused(call: KernelCall, y: tf.Tensor): tf.Tensor {
  switch (opt<number>(call, "fusedActivationFunction", 0)) {
    case 0:
      return y;
    case 1:
      return tf.relu(y);
    case 2:
      return tf.clipByValue(y, -1, 1);
    case 3:
      return tf.relu6(y);
    case 4:
      return tf.tanh(y);
    default:
      return call.fail(`fused activation ${opt(call, "fusedActivationFunction", 0)} is not supported`);
  }
}

function padding(call: KernelCall): "same" | "valid" {
  return opt(call, "padding", 0) === 0 ? "same" : "valid";
}

function withBias(call: KernelCall, y: tf.Tensor, i: number): tf.Tensor {
  const b = call.inputs[i];
  return b === undefined ? y : tf.add(y, b);
}

function ints(t: tf.Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>, Number);
}

function binary(fn: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): Kernel {
  return (call) => [fused(call, fn(input(call, 0), input(call, 1)))];
}

function unary(fn: (x: tf.Tensor) => tf.Tensor): Kernel {
  return (call) => [fn(input(call, 0))];
}

function fullyConnected(call: KernelCall): tf.Tensor[] {
  const x = input(call, 0);
  const w = input(call, 1) as tf.Tensor2D;
  const inDim = w.shape[1];
  const flat = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  let y: tf.Tensor = withBias(call, tf.matMul(flat, w, false, true), 2);
  if (opt(call, "keepNumDims", false)) y = tf.reshape(y, [...x.shape.slice(0, -1), w.shape[0]]);
  return [fused(call, y)];
}

function conv2d(call: KernelCall): tf.Tensor[] {
  const filter = tf.transpose(input(call, 1), [1, 2, 3, 0]) as tf.Tensor4D;
  const strides: [number, number] = [opt(call, "strideH", 1), opt(call, "strideW", 1)];
  const dilations: [number, number] = [opt(call, "dilationHFactor", 1), opt(call, "dilationWFactor", 1)];
  const y = tf.conv2d(input(call, 0) as tf.Tensor4D, filter, strides, padding(call), "NHWC", dilations);
  return [fused(call, withBias(call, y, 2))];
}

function depthwiseConv2d(call: KernelCall): tf.Tensor[] {
  const x = input(call, 0) as tf.Tensor4D;
  const w = input(call, 1);
  const cin = x.shape[3];
  const total = w.shape[3]!;
  if (total % cin !== 0) call.fail(`its filter has ${total} channels for ${cin} input channels`);
  const filter = tf.reshape(w, [w.shape[1]!, w.shape[2]!, cin, total / cin]) as tf.Tensor4D;
  const strides: [number, number] = [opt(call, "strideH", 1), opt(call, "strideW", 1)];
  const dilations: [number, number] = [opt(call, "dilationHFactor", 1), opt(call, "dilationWFactor", 1)];
  const y = tf.depthwiseConv2d(x, filter, strides, padding(call), "NHWC", dilations);
  return [fused(call, withBias(call, y, 2))];
}

function transposeConv(call: KernelCall): tf.Tensor[] {
  const shape = ints(input(call, 0)) as [number, number, number, number];
  const filter = tf.transpose(input(call, 1), [1, 2, 0, 3]) as tf.Tensor4D;
  const strides: [number, number] = [opt(call, "strideH", 1), opt(call, "strideW", 1)];
  const y = tf.conv2dTranspose(input(call, 2) as tf.Tensor4D, filter, shape, strides, padding(call));
  return [fused(call, withBias(call, y, 3))];
}

function pool(kind: "max" | "avg"): Kernel {
  return (call) => {
    const size: [number, number] = [opt(call, "filterHeight", 1), opt(call, "filterWidth", 1)];
    const strides: [number, number] = [opt(call, "strideH", 1), opt(call, "strideW", 1)];
    const x = input(call, 0) as tf.Tensor4D;
    const y =
      kind === "max" ? tf.maxPool(x, size, strides, padding(call)) : tf.avgPool(x, size, strides, padding(call));
    return [fused(call, y)];
  };
}

function reduce(fn: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor): Kernel {
  return (call) => {
    const x = input(call, 0);
    const axes = ints(input(call, 1)).map((a) => (a < 0 ? a + x.rank : a));
    return [fn(x, axes, opt(call, "keepDims", false))];
  };
}

function reshape(call: KernelCall): tf.Tensor[] {
  const given = call.inputs[1];
  const fromOptions = (call.options as { newShape?: readonly number[] } | undefined)?.newShape;
  const shape =
    given !== undefined
      ? ints(given)
      : fromOptions !== undefined && fromOptions.length > 0
        ? [...fromOptions]
        : [...call.outputShapes[0]!];
  return [tf.reshape(input(call, 0), shape)];
}

/** The kernels of the TFLite builtin operators the interpreter runs, by operator code. */
export const TFLITE_KERNELS: Readonly<Record<number, Kernel>> = {
  [BuiltinOperator.ADD]: binary(tf.add),
  [BuiltinOperator.SUB]: binary(tf.sub),
  [BuiltinOperator.MUL]: binary(tf.mul),
  [BuiltinOperator.DIV]: binary(tf.div),
  [BuiltinOperator.MAXIMUM]: binary(tf.maximum),
  [BuiltinOperator.MINIMUM]: binary(tf.minimum),
  [BuiltinOperator.FULLY_CONNECTED]: fullyConnected,
  [BuiltinOperator.CONV_2D]: conv2d,
  [BuiltinOperator.DEPTHWISE_CONV_2D]: depthwiseConv2d,
  [BuiltinOperator.TRANSPOSE_CONV]: transposeConv,
  [BuiltinOperator.MAX_POOL_2D]: pool("max"),
  [BuiltinOperator.AVERAGE_POOL_2D]: pool("avg"),
  [BuiltinOperator.MEAN]: reduce((x, a, k) => tf.mean(x, a, k)),
  [BuiltinOperator.REDUCE_MAX]: reduce((x, a, k) => tf.max(x, a, k)),
  [BuiltinOperator.RESHAPE]: reshape,
  [BuiltinOperator.SQUEEZE]: (call) => {
    const dims = (call.options as { squeezeDims?: readonly number[] } | undefined)?.squeezeDims;
    return [tf.squeeze(input(call, 0), dims !== undefined && dims.length > 0 ? [...dims] : undefined)];
  },
  [BuiltinOperator.EXPAND_DIMS]: (call) => [tf.expandDims(input(call, 0), ints(input(call, 1))[0])],
  [BuiltinOperator.CONCATENATION]: (call) => {
    const xs = call.inputs.map((_, i) => input(call, i));
    const axis = opt(call, "axis", 0);
    return [fused(call, tf.concat(xs, axis < 0 ? axis + xs[0]!.rank : axis))];
  },
  [BuiltinOperator.SOFTMAX]: (call) => {
    const beta = opt(call, "beta", 1);
    const x = input(call, 0);
    return [tf.softmax(beta === 1 ? x : tf.mul(x, beta))];
  },
  [BuiltinOperator.LOGISTIC]: unary(tf.sigmoid),
  [BuiltinOperator.TANH]: unary(tf.tanh),
  [BuiltinOperator.RELU]: unary(tf.relu),
  [BuiltinOperator.RELU6]: unary(tf.relu6),
  [BuiltinOperator.RELU_N1_TO_1]: unary((x) => tf.clipByValue(x, -1, 1)),
  [BuiltinOperator.ELU]: unary(tf.elu),
  [BuiltinOperator.EXP]: unary(tf.exp),
  [BuiltinOperator.LOG]: unary(tf.log),
  [BuiltinOperator.LOG_SOFTMAX]: unary((x) => tf.logSoftmax(x)),
  [BuiltinOperator.ABS]: unary(tf.abs),
  [BuiltinOperator.NEG]: unary(tf.neg),
  [BuiltinOperator.HARD_SWISH]: unary((x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6))),
  [BuiltinOperator.LEAKY_RELU]: (call) => [tf.leakyRelu(input(call, 0), opt(call, "alpha", 0.2))],
  [BuiltinOperator.GELU]: (call) => {
    const x = input(call, 0);
    if (opt(call, "approximate", false)) {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return [tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)))];
    }
    return [tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))];
  },
  [BuiltinOperator.GATHER]: (call) => [
    tf.gather(input(call, 0), tf.cast(input(call, 1), "int32"), opt(call, "axis", 0), opt(call, "batchDims", 0)),
  ],
  [BuiltinOperator.CAST]: (call) => [
    tf.cast(
      input(call, 0),
      call.outputTypes[0] === TensorType.FLOAT32
        ? "float32"
        : call.outputTypes[0] === TensorType.BOOL
          ? "bool"
          : "int32",
    ),
  ],
  [BuiltinOperator.PAD]: (call) => {
    const p = ints(input(call, 1));
    const pairs = Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i]!, p[2 * i + 1]!] as [number, number]);
    return [tf.pad(input(call, 0), pairs)];
  },
  [BuiltinOperator.TRANSPOSE]: (call) => [tf.transpose(input(call, 0), ints(input(call, 1)))],
  // Constants are dequantized when they are loaded: what reaches DEQUANTIZE is float32 already.
  [BuiltinOperator.DEQUANTIZE]: (call) => [tf.cast(input(call, 0), "float32")],
  [BuiltinOperator.SPLIT]: (call) => {
    const x = input(call, 1);
    const axis = ints(input(call, 0))[0]!;
    return tf.split(x, opt(call, "numSplits", 1), axis < 0 ? axis + x.rank : axis);
  },
  [BuiltinOperator.UNPACK]: (call) => tf.unstack(input(call, 0), opt(call, "axis", 0)),
  [BuiltinOperator.PACK]: (call) => [
    tf.stack(
      call.inputs.map((_, i) => input(call, i)),
      opt(call, "axis", 0),
    ),
  ],
  [BuiltinOperator.STRIDED_SLICE]: (call) => {
    const [b, e, s] = [ints(input(call, 1)), ints(input(call, 2)), ints(input(call, 3))];
    return [
      tf.stridedSlice(
        input(call, 0),
        b,
        e,
        s,
        opt(call, "beginMask", 0),
        opt(call, "endMask", 0),
        opt(call, "ellipsisMask", 0),
        opt(call, "newAxisMask", 0),
        opt(call, "shrinkAxisMask", 0),
      ),
    ];
  },
};
