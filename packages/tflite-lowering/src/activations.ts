import { type ActivationInfo, changedDefinition } from "@kerastore/engine";
import { BuiltinOperator } from "@kerastore/tflite";
import type { GraphBuilder } from "./graph-builder.js";
import { type Lowered, unsupported } from "./lower-call.js";

/** ActivationFunctionType values of the schema. */
export const Fused = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 } as const;

/** The fused activation an op can apply itself (relu, relu6), or undefined. */
export function fusable(a: ActivationInfo | undefined): number | undefined {
  if (a === undefined || !a.builtin) return undefined;
  if (a.name === "linear") return Fused.NONE;
  if (a.name === "relu") return Fused.RELU;
  if (a.name === "relu6") return Fused.RELU6;
  return undefined;
}

function scalar(g: GraphBuilder, name: string, value: number): number {
  return g.floats(name, [], Float32Array.of(value));
}

/**
 * Applies a Keras activation to `x` as TFLite ops. Keras 2's hard_sigmoid is
 * `clip(0.2 x + 0.5, 0, 1)`, Keras 3's `relu6(x + 3) / 6`: the layer's own function decides.
 */
export function applyActivation(g: GraphBuilder, a: ActivationInfo | undefined, x: Lowered, name: string, where: string): Lowered {
  if (a === undefined) return x;
  const unary = (code: number, options?: Parameters<GraphBuilder["op"]>[4]) => ({ index: g.op(code, [x.index], x.shape, name, options), shape: x.shape });
  const binary = (code: number, a: number, b: number, suffix: string) => g.op(code, [a, b], x.shape, `${name}/${suffix}`, code === BuiltinOperator.ADD ? { kind: "AddOptions", fusedActivationFunction: 0 } : code === BuiltinOperator.MUL ? { kind: "MulOptions", fusedActivationFunction: 0 } : undefined);
  if (!a.builtin) throw unsupported({ where }, `its custom activation "${a.name}" has no TFLite lowering`);
  switch (a.name) {
    case "linear":
      return x;
    case "relu":
      return unary(BuiltinOperator.RELU);
    case "relu6":
      return unary(BuiltinOperator.RELU6);
    case "sigmoid":
      return unary(BuiltinOperator.LOGISTIC);
    case "tanh":
      return unary(BuiltinOperator.TANH);
    case "softmax":
      return unary(BuiltinOperator.SOFTMAX, { kind: "SoftmaxOptions", beta: 1 });
    case "elu":
      return unary(BuiltinOperator.ELU);
    case "exponential":
      return unary(BuiltinOperator.EXP);
    case "leaky_relu":
      return unary(BuiltinOperator.LEAKY_RELU, { kind: "LeakyReluOptions", alpha: 0.2 });
    case "gelu":
      return unary(BuiltinOperator.GELU, { kind: "GeluOptions", approximate: false });
    case "hard_swish":
    case "hard_silu":
      return unary(BuiltinOperator.HARD_SWISH);
    case "swish":
    case "silu": {
      const s = g.op(BuiltinOperator.LOGISTIC, [x.index], x.shape, `${name}/sigmoid`);
      return { index: binary(BuiltinOperator.MUL, x.index, s, "mul"), shape: x.shape };
    }
    case "hard_sigmoid": {
      if (changedDefinition(a) === 2) {
        const lin = binary(BuiltinOperator.ADD, binary(BuiltinOperator.MUL, x.index, scalar(g, `${name}/slope`, 0.2), "mul"), scalar(g, `${name}/offset`, 0.5), "add");
        const low = g.op(BuiltinOperator.MAXIMUM, [lin, scalar(g, `${name}/zero`, 0)], x.shape, `${name}/maximum`);
        return { index: g.op(BuiltinOperator.MINIMUM, [low, scalar(g, `${name}/one`, 1)], x.shape, `${name}/minimum`), shape: x.shape };
      }
      const shifted = binary(BuiltinOperator.ADD, x.index, scalar(g, `${name}/three`, 3), "add");
      const clipped = g.op(BuiltinOperator.RELU6, [shifted], x.shape, `${name}/relu6`);
      return { index: binary(BuiltinOperator.MUL, clipped, scalar(g, `${name}/sixth`, 1 / 6), "mul"), shape: x.shape };
    }
    default:
      throw unsupported({ where }, `activation "${a.name}" has no TFLite lowering`);
  }
}
