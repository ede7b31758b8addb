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

/** softplus as relu(x) + log(1 + exp(-|x|)), whose exp never overflows. */
function softplus(g: GraphBuilder, x: Lowered, name: string): number {
  const negAbs = g.op(
    BuiltinOperator.NEG,
    [g.op(BuiltinOperator.ABS, [x.index], x.shape, `${name}/abs`)],
    x.shape,
    `${name}/neg`,
  );
  const exp = g.op(BuiltinOperator.EXP, [negAbs], x.shape, `${name}/exp`);
  const sum = g.op(BuiltinOperator.ADD, [exp, scalar(g, `${name}/one`, 1)], x.shape, `${name}/add`, {
    kind: "AddOptions",
    fusedActivationFunction: 0,
  });
  const log = g.op(BuiltinOperator.LOG, [sum], x.shape, `${name}/log`);
  return g.op(
    BuiltinOperator.ADD,
    [g.op(BuiltinOperator.RELU, [x.index], x.shape, `${name}/relu`), log],
    x.shape,
    name,
    { kind: "AddOptions", fusedActivationFunction: 0 },
  );
}

/**
 * Applies a Keras activation to `x` as TFLite ops. Keras 2's hard_sigmoid is
 * `clip(0.2 x + 0.5, 0, 1)`, Keras 3's `relu6(x + 3) / 6`: the layer's own function decides.
 */
export function applyActivation(
  g: GraphBuilder,
  a: ActivationInfo | undefined,
  x: Lowered,
  name: string,
  where: string,
): Lowered {
  if (a === undefined) return x;
  const unary = (code: number, options?: Parameters<GraphBuilder["op"]>[4]) => ({
    index: g.op(code, [x.index], x.shape, name, options),
    shape: x.shape,
  });
  const binary = (code: number, a: number, b: number, suffix: string) =>
    g.op(
      code,
      [a, b],
      x.shape,
      `${name}/${suffix}`,
      code === BuiltinOperator.ADD
        ? { kind: "AddOptions", fusedActivationFunction: 0 }
        : code === BuiltinOperator.MUL
          ? { kind: "MulOptions", fusedActivationFunction: 0 }
          : undefined,
    );
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
    case "softplus":
      return { index: softplus(g, x, name), shape: x.shape };
    case "mish": {
      const t = g.op(BuiltinOperator.TANH, [softplus(g, x, `${name}/softplus`)], x.shape, `${name}/tanh`);
      return { index: binary(BuiltinOperator.MUL, x.index, t, "mish"), shape: x.shape };
    }
    case "log_softmax":
      return unary(BuiltinOperator.LOG_SOFTMAX);
    case "softsign": {
      const denominator = binary(
        BuiltinOperator.ADD,
        g.op(BuiltinOperator.ABS, [x.index], x.shape, `${name}/abs`),
        scalar(g, `${name}/one`, 1),
        "add",
      );
      return {
        index: g.op(BuiltinOperator.DIV, [x.index, denominator], x.shape, name, {
          kind: "DivOptions",
          fusedActivationFunction: 0,
        }),
        shape: x.shape,
      };
    }
    case "selu": {
      // scale * relu(x) + scale * alpha * (exp(min(x, 0)) - 1)
      const alpha = 1.6732632423543772;
      const scale = 1.0507009873554805;
      const positive = binary(
        BuiltinOperator.MUL,
        g.op(BuiltinOperator.RELU, [x.index], x.shape, `${name}/relu`),
        scalar(g, `${name}/scale`, scale),
        "mul_pos",
      );
      const exp = g.op(
        BuiltinOperator.EXP,
        [g.op(BuiltinOperator.MINIMUM, [x.index, scalar(g, `${name}/zero`, 0)], x.shape, `${name}/min`)],
        x.shape,
        `${name}/exp`,
      );
      const shifted = g.op(BuiltinOperator.SUB, [exp, scalar(g, `${name}/one`, 1)], x.shape, `${name}/sub`, {
        kind: "SubOptions",
        fusedActivationFunction: 0,
      });
      return {
        index: binary(
          BuiltinOperator.ADD,
          positive,
          binary(BuiltinOperator.MUL, shifted, scalar(g, `${name}/scale_alpha`, scale * alpha), "mul_neg"),
          "selu",
        ),
        shape: x.shape,
      };
    }
    case "hard_sigmoid": {
      if (changedDefinition(a) === 2) {
        const lin = binary(
          BuiltinOperator.ADD,
          binary(BuiltinOperator.MUL, x.index, scalar(g, `${name}/slope`, 0.2), "mul"),
          scalar(g, `${name}/offset`, 0.5),
          "add",
        );
        const low = g.op(BuiltinOperator.MAXIMUM, [lin, scalar(g, `${name}/zero`, 0)], x.shape, `${name}/maximum`);
        return {
          index: g.op(BuiltinOperator.MINIMUM, [low, scalar(g, `${name}/one`, 1)], x.shape, `${name}/minimum`),
          shape: x.shape,
        };
      }
      const shifted = binary(BuiltinOperator.ADD, x.index, scalar(g, `${name}/three`, 3), "add");
      const clipped = g.op(BuiltinOperator.RELU6, [shifted], x.shape, `${name}/relu6`);
      return { index: binary(BuiltinOperator.MUL, clipped, scalar(g, `${name}/sixth`, 1 / 6), "mul"), shape: x.shape };
    }
    default:
      throw unsupported({ where }, `activation "${a.name}" has no TFLite lowering`);
  }
}
