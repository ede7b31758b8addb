import * as tf from "@tensorflow/tfjs-core";

// Methods on tensors (`x.slice(0, 2)`, `x.reshape([2, 3])`, `a.add(b)`), as tfjs programs write
// them. tfjs-core installs them only through its ES-module build (the union package
// @tensorflow/tfjs imports it; tfjs-core's Node entry does not), which plain Node cannot load
// without a resolver hook and which costs ~100 ms of module loading: without them, a user's
// first `x.slice(...)` on `keras.tf` tensors fails with "x.slice is not a function". Here each
// is the engine's tfjs op of that name with the tensor as its first argument; the few whose
// arguments differ are written out. Methods a tensor already has (tfjs's own, or tfjs-layers'
// registration) are left alone.

/** Ops that take the tensor as their first argument, as tfjs's tensor methods of the same name. */
const SAME_NAME = [
  "abs",
  "acos",
  "acosh",
  "add",
  "all",
  "any",
  "argMax",
  "argMin",
  "asin",
  "asinh",
  "atan",
  "atan2",
  "atanh",
  "avgPool",
  "batchNorm",
  "batchToSpaceND",
  "broadcastTo",
  "cast",
  "ceil",
  "clipByValue",
  "conv1d",
  "conv2d",
  "conv2dTranspose",
  "cos",
  "cosh",
  "cumprod",
  "cumsum",
  "depthToSpace",
  "depthwiseConv2d",
  "dilation2d",
  "div",
  "divNoNan",
  "dot",
  "elu",
  "equal",
  "erf",
  "euclideanNorm",
  "exp",
  "expandDims",
  "expm1",
  "fft",
  "floor",
  "floorDiv",
  "gather",
  "greater",
  "greaterEqual",
  "ifft",
  "irfft",
  "isFinite",
  "isInf",
  "isNaN",
  "leakyRelu",
  "less",
  "lessEqual",
  "localResponseNormalization",
  "log",
  "log1p",
  "logicalAnd",
  "logicalNot",
  "logicalOr",
  "logicalXor",
  "logSigmoid",
  "logSoftmax",
  "logSumExp",
  "matMul",
  "max",
  "maximum",
  "maxPool",
  "mean",
  "min",
  "minimum",
  "mirrorPad",
  "mod",
  "mul",
  "neg",
  "norm",
  "notEqual",
  "oneHot",
  "onesLike",
  "pad",
  "pool",
  "pow",
  "prelu",
  "prod",
  "reciprocal",
  "relu",
  "relu6",
  "reshape",
  "resizeBilinear",
  "resizeNearestNeighbor",
  "reverse",
  "rfft",
  "round",
  "rsqrt",
  "selu",
  "separableConv2d",
  "sigmoid",
  "sign",
  "sin",
  "sinh",
  "slice",
  "softmax",
  "softplus",
  "spaceToBatchND",
  "split",
  "sqrt",
  "square",
  "squaredDifference",
  "squeeze",
  "step",
  "stridedSlice",
  "sub",
  "sum",
  "tan",
  "tanh",
  "tile",
  "topk",
  "transpose",
  "unique",
  "unsortedSegmentSum",
  "unstack",
  "zerosLike",
] as const;

type Method = (this: tf.Tensor, ...args: never[]) => unknown;

/** The methods whose arguments differ from their op's. */
const WRITTEN_OUT: Record<string, Method> = {
  asScalar() {
    return tf.reshape(this, []);
  },
  as1D() {
    return tf.reshape(this, [this.size]);
  },
  as2D(rows: number, columns: number) {
    return tf.reshape(this, [rows, columns]);
  },
  as3D(rows: number, columns: number, depth: number) {
    return tf.reshape(this, [rows, columns, depth]);
  },
  as4D(rows: number, columns: number, depth: number, depth2: number) {
    return tf.reshape(this, [rows, columns, depth, depth2]);
  },
  as5D(rows: number, columns: number, depth: number, depth2: number, depth3: number) {
    return tf.reshape(this, [rows, columns, depth, depth2, depth3]);
  },
  asType(dtype: tf.DataType) {
    return tf.cast(this, dtype);
  },
  toFloat() {
    return tf.cast(this, "float32");
  },
  toInt() {
    return tf.cast(this, "int32");
  },
  toBool() {
    return tf.cast(this, "bool");
  },
  flatten() {
    return tf.reshape(this, [this.size]);
  },
  reshapeAs(other: tf.Tensor) {
    return tf.reshape(this, other.shape);
  },
  concat(others: tf.Tensor | tf.Tensor[], axis?: number) {
    return tf.concat([this, ...(Array.isArray(others) ? others : [others])], axis);
  },
  stack(other: tf.Tensor, axis?: number) {
    return tf.stack([this, other], axis);
  },
  where(condition: tf.Tensor, other: tf.Tensor) {
    return tf.where(condition, this, other);
  },
};

/** Adds the tensor methods tfjs programs use to tfjs-core's Tensor class, where missing (once per process). */
export function installTensorMethods(): void {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const ops = tf as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of SAME_NAME) {
    const op = ops[name];
    if (typeof op !== "function" || name in proto) continue;
    Object.defineProperty(proto, name, {
      value: function (this: tf.Tensor, ...args: unknown[]) {
        this.throwIfDisposed();
        return op(this, ...args);
      },
      writable: true,
      configurable: true,
    });
  }
  for (const [name, method] of Object.entries(WRITTEN_OUT)) {
    if (name in proto) continue;
    Object.defineProperty(proto, name, {
      value: function (this: tf.Tensor, ...args: never[]) {
        this.throwIfDisposed();
        return method.apply(this, args);
      },
      writable: true,
      configurable: true,
    });
  }
}
