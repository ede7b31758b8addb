import { tf } from "@kerastore/engine";
import type { Kernel, NodeAttrs } from "@kerastore/savedmodel";

type K = Kernel<tf.Tensor>;

const unary =
  (f: (x: tf.Tensor) => tf.Tensor): K =>
  ([x]) => [f(x!)];
const binary =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): K =>
  ([a, b]) => [f(a!, b!)];

/** The integer values of a small tensor input (axes, shapes, permutations). */
export function intsOf(t: tf.Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>, Number);
}

const reduce =
  (f: (x: tf.Tensor, axis: number[], keepDims: boolean) => tf.Tensor): K =>
  ([x, axis], attrs: NodeAttrs) => {
    const axes = intsOf(axis!).map((a) => (a < 0 ? a + x!.rank : a));
    return [f(x!, axes, attrs.bool("keep_dims", false))];
  };

/** Elementwise arithmetic, activations, comparisons and reductions. */
export const mathKernels: Readonly<Record<string, K>> = {
  AddV2: binary(tf.add),
  Add: binary(tf.add),
  Sub: binary(tf.sub),
  Mul: binary(tf.mul),
  RealDiv: binary(tf.div),
  Div: binary(tf.div),
  DivNoNan: binary(tf.divNoNan),
  FloorDiv: binary(tf.floorDiv),
  FloorMod: binary(tf.mod),
  Maximum: binary(tf.maximum),
  Minimum: binary(tf.minimum),
  Pow: binary(tf.pow),
  Atan2: binary(tf.atan2),
  SquaredDifference: binary(tf.squaredDifference),
  AddN: (inputs) => [tf.addN([...inputs])],
  Neg: unary(tf.neg),
  Abs: unary(tf.abs),
  Sign: unary(tf.sign),
  Floor: unary(tf.floor),
  Ceil: unary(tf.ceil),
  Round: unary(tf.round),
  Reciprocal: unary(tf.reciprocal),
  Inv: unary(tf.reciprocal),
  Exp: unary(tf.exp),
  Expm1: unary(tf.expm1),
  Log: unary(tf.log),
  Log1p: unary(tf.log1p),
  Sqrt: unary(tf.sqrt),
  Rsqrt: unary(tf.rsqrt),
  Square: unary(tf.square),
  Erf: unary(tf.erf),
  Erfc: unary((x) => tf.sub(1, tf.erf(x))),
  IsNan: unary(tf.isNaN),
  IsInf: unary(tf.isInf),
  IsFinite: unary(tf.isFinite),
  Tan: unary(tf.tan),
  Atan: unary(tf.atan),
  Sinh: unary(tf.sinh),
  Cosh: unary(tf.cosh),
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Relu: unary(tf.relu),
  Relu6: unary(tf.relu6),
  Elu: unary(tf.elu),
  Selu: unary(tf.selu),
  Sigmoid: unary(tf.sigmoid),
  Tanh: unary(tf.tanh),
  Softplus: unary(tf.softplus),
  Softsign: unary((x) => tf.div(x, tf.add(tf.abs(x), 1))),
  LeakyRelu: ([x], attrs) => [tf.leakyRelu(x!, attrs.float("alpha", 0.2))],
  Equal: binary(tf.equal),
  NotEqual: binary(tf.notEqual),
  Greater: binary(tf.greater),
  GreaterEqual: binary(tf.greaterEqual),
  Less: binary(tf.less),
  LessEqual: binary(tf.lessEqual),
  LogicalAnd: binary(tf.logicalAnd),
  LogicalOr: binary(tf.logicalOr),
  LogicalNot: unary(tf.logicalNot),
  Select: ([c, a, b]) => [tf.where(c! as tf.Tensor, a!, b!)],
  SelectV2: ([c, a, b]) => [tf.where(c! as tf.Tensor, a!, b!)],
  Mean: reduce(tf.mean),
  Sum: reduce(tf.sum),
  Max: reduce(tf.max),
  Min: reduce(tf.min),
  Prod: reduce(tf.prod),
  All: reduce(tf.all),
  Any: reduce(tf.any),
  Cumsum: ([x, axis], attrs) => [
    tf.cumsum(x!, intsOf(axis!)[0], attrs.bool("exclusive", false), attrs.bool("reverse", false)),
  ],
  TopKV2: ([x, k], attrs) => {
    const { values, indices } = tf.topk(x!, intsOf(k!)[0], attrs.bool("sorted", true));
    return { values: [values], indices: [indices] };
  },
  ArgMax: ([x, axis]) => [tf.argMax(x!, intsOf(axis!)[0])],
  ArgMin: ([x, axis]) => [tf.argMin(x!, intsOf(axis!)[0])],
};
