import { type JsonValue, hostTensor } from "@kerastore/core";
import { type FunctionBuilder, attr } from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";

/** A scalar constant node of `dtype` (float32 by default). */
export function scalar(
  b: FunctionBuilder,
  name: string,
  value: number,
  dtype: "float32" | "int32" = "float32",
): string {
  const data = dtype === "int32" ? new Int32Array([value]) : new Float32Array([value]);
  return b.op("Const", name, [], { dtype: attr.type(dtype), value: attr.tensor(hostTensor(dtype, [], data)) });
}

/** A rank-1 int32 constant node (shapes, axes, perms). */
export function ints(b: FunctionBuilder, name: string, values: readonly number[]): string {
  return b.op("Const", name, [], {
    dtype: attr.type("int32"),
    value: attr.tensor(hostTensor("int32", [values.length], Int32Array.from(values))),
  });
}

const T = { T: attr.type("float32") };

/** The name of an activation as a layer config holds it (`"relu"` or `{class_name, config}`). */
export function activationName(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return "linear";
  if (typeof value === "string") return value;
  if (typeof value === "object" && !Array.isArray(value)) {
    const inner = value.config;
    if (typeof inner === "string") return inner;
    const name = inner !== null && typeof inner === "object" && !Array.isArray(inner) ? inner.name : undefined;
    if (typeof name === "string") return name;
    if (typeof value.class_name === "string") return value.class_name;
  }
  return String(value);
}

/** Keras 3's hard sigmoid, relu6(x + 3) / 6 (the written config names Keras 3's definition). */
function hardSigmoid(b: FunctionBuilder, scope: string, x: string): string {
  const shifted = b.op("AddV2", `${scope}/HardSigmoid/add`, [x, scalar(b, `${scope}/HardSigmoid/three`, 3)], T);
  const clipped = b.op("Relu6", `${scope}/HardSigmoid/Relu6`, [shifted], T);
  return b.op("Mul", `${scope}/HardSigmoid/mul`, [clipped, scalar(b, `${scope}/HardSigmoid/sixth`, 1 / 6)], T);
}

/**
 * Keras 2's hard sigmoid, clip(0.2x + 0.5, 0, 1), for models read from Keras 2 files: written
 * as relu6(1.2x + 3) / 6 (the same function), with the ops Keras 3's definition uses.
 */
function hardSigmoid2(b: FunctionBuilder, scope: string, x: string): string {
  const scaled = b.op("Mul", `${scope}/HardSigmoid/scale`, [x, scalar(b, `${scope}/HardSigmoid/slope`, 1.2)], T);
  const shifted = b.op("AddV2", `${scope}/HardSigmoid/add`, [scaled, scalar(b, `${scope}/HardSigmoid/three`, 3)], T);
  const clipped = b.op("Relu6", `${scope}/HardSigmoid/Relu6`, [shifted], T);
  return b.op("Mul", `${scope}/HardSigmoid/mul`, [clipped, scalar(b, `${scope}/HardSigmoid/sixth`, 1 / 6)], T);
}

/** The activations a SavedModel can be written with. */
export const LOWERED_ACTIVATIONS: readonly string[] = [
  "linear",
  "relu",
  "sigmoid",
  "tanh",
  "softmax",
  "elu",
  "selu",
  "softplus",
  "gelu",
  "swish",
  "silu",
  "relu6",
  "leaky_relu",
  "exponential",
  "hard_sigmoid",
  "hard_silu",
  "hard_swish",
  "softsign",
  "log_softmax",
  "mish",
];

/**
 * Applies activation `name` to `x` as TensorFlow ops (Keras 3's definitions: exact gelu,
 * leaky_relu slope 0.2, softmax over the last axis).
 */
export function lowerActivation(
  b: FunctionBuilder,
  scope: string,
  x: string,
  name: string,
  where: string,
  keras2 = false,
): string {
  switch (name) {
    case "linear":
      return x;
    case "relu":
      return b.op("Relu", `${scope}/Relu`, [x], T);
    case "sigmoid":
      return b.op("Sigmoid", `${scope}/Sigmoid`, [x], T);
    case "tanh":
      return b.op("Tanh", `${scope}/Tanh`, [x], T);
    case "softmax":
      return b.op("Softmax", `${scope}/Softmax`, [x], T);
    case "elu":
      return b.op("Elu", `${scope}/Elu`, [x], T);
    case "selu":
      return b.op("Selu", `${scope}/Selu`, [x], T);
    case "softplus":
      return b.op("Softplus", `${scope}/Softplus`, [x], T);
    case "relu6":
      return b.op("Relu6", `${scope}/Relu6`, [x], T);
    case "softsign":
      return b.op("Softsign", `${scope}/Softsign`, [x], T);
    case "log_softmax":
      return b.op("LogSoftmax", `${scope}/LogSoftmax`, [x], T);
    case "mish": {
      // x * tanh(softplus(x))
      const soft = b.op("Softplus", `${scope}/Mish/Softplus`, [x], T);
      return b.op("Mul", `${scope}/Mish/mul`, [x, b.op("Tanh", `${scope}/Mish/Tanh`, [soft], T)], T);
    }
    case "exponential":
      return b.op("Exp", `${scope}/Exp`, [x], T);
    case "leaky_relu":
      return b.op("LeakyRelu", `${scope}/LeakyRelu`, [x], { ...T, alpha: attr.float(0.2) });
    case "swish":
    case "silu": {
      const s = b.op("Sigmoid", `${scope}/Sigmoid`, [x], T);
      return b.op("Mul", `${scope}/mul`, [x, s], T);
    }
    case "hard_sigmoid":
      return keras2 ? hardSigmoid2(b, scope, x) : hardSigmoid(b, scope, x);
    case "hard_silu":
    case "hard_swish":
      return b.op("Mul", `${scope}/mul`, [x, hardSigmoid(b, scope, x)], T);
    case "gelu": {
      // 0.5 * x * (1 + erf(x / sqrt(2)))
      const scaled = b.op("Mul", `${scope}/Gelu/mul`, [x, scalar(b, `${scope}/Gelu/Cast`, Math.SQRT1_2)], T);
      const erf = b.op("Erf", `${scope}/Gelu/Erf`, [scaled], T);
      const one = b.op("AddV2", `${scope}/Gelu/add`, [erf, scalar(b, `${scope}/Gelu/Const`, 1)], T);
      const half = b.op("Mul", `${scope}/Gelu/mul_1`, [x, scalar(b, `${scope}/Gelu/Const_1`, 0.5)], T);
      return b.op("Mul", `${scope}/Gelu/mul_2`, [half, one], T);
    }
    default:
      throw new LoweringError(
        "unsupported",
        `cannot save ${where} as a SavedModel: activation "${name}" has no TensorFlow lowering (lowered: ${LOWERED_ACTIVATIONS.join(", ")}); save to .keras or .h5 instead`,
      );
  }
}
