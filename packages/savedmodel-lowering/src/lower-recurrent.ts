import { FunctionBuilder, attr } from "@kerastore/savedmodel";
import type { Layer } from "@kerastore/engine";
import { activationName, ints, lowerActivation, scalar } from "./lower-activations.js";
import { type Lowering, T, only, unsupported } from "./lower-call.js";

type Kind = "simple" | "lstm" | "gru";

/**
 * SimpleRNN, LSTM and GRU unrolled over their static number of steps (the graph Keras builds
 * with `unroll=True`): per step the input's slice through the kernels, the state through the
 * recurrent kernels, Keras's gate order (LSTM i, f, c, o; GRU z, r, h, with `reset_after`
 * or not). The first step starts from zero states, so their products are left out.
 */
export function recurrent(kind: Kind): Lowering {
  return (call) => {
    const x = only(call);
    const { b, scope, config } = call;
    if (config.return_state === true) throw unsupported(call, "return_state");
    if (config.stateful === true) throw unsupported(call, "a stateful RNN");
    const steps = x.shape[1];
    if (x.shape.length !== 3 || typeof steps !== "number" || steps < 1)
      throw unsupported(call, "its number of time steps is not known");
    const kernel = call.weight("kernel");
    const recurrentKernel = call.weight("recurrent_kernel");
    if (kernel === undefined || recurrentKernel === undefined)
      throw unsupported(call, "it has no kernel and recurrent kernel");
    const bias = config.use_bias === false ? undefined : call.weight("bias");
    const act = (ref: string, name: string, step: string) =>
      lowerActivation(
        b,
        `${scope}/${step}`,
        ref,
        activationName(config[name] ?? (name === "activation" ? "tanh" : "sigmoid")),
        call.where,
        call.keras2Definitions,
      );
    const op = (type: string, name: string, inputs: string[], extra = {}) =>
      b.op(type, `${scope}/${name}`, inputs, { ...T, ...extra });
    const split = (ref: string, parts: number, axis: number, name: string): string[] => {
      const node = b.op("Split", `${scope}/${name}`, [scalar(b, `${scope}/${name}/split_dim`, axis, "int32"), ref], {
        ...T,
        num_split: attr.int(parts),
      });
      return Array.from({ length: parts }, (_, i) => FunctionBuilder.outputOf(node, "output", i));
    };
    const unstacked = b.op("Unpack", `${scope}/unstack`, [x.ref], { ...T, num: attr.int(steps), axis: attr.int(1) });
    const order = Array.from({ length: steps }, (_, i) => (config.go_backwards === true ? steps - 1 - i : i));
    // GRU: the input and recurrent biases (reset_after: a [2, 3 * units] bias) or one bias.
    const resetAfter = kind === "gru" && config.reset_after !== false;
    const [inputBias, innerBias] =
      bias !== undefined && resetAfter
        ? (() => {
            const node = b.op("Unpack", `${scope}/unstack_bias`, [bias], { ...T, num: attr.int(2), axis: attr.int(0) });
            return [FunctionBuilder.outputOf(node, "output", 0), FunctionBuilder.outputOf(node, "output", 1)];
          })()
        : [bias, undefined];
    const gruColumns = kind === "gru" && !resetAfter ? split(recurrentKernel, 3, 1, "split_recurrent_kernel") : [];
    let h: string | undefined;
    let c: string | undefined;
    const outputs: string[] = [];
    for (const [i, t] of order.entries()) {
      const s = `step_${i}`;
      const xt = FunctionBuilder.outputOf(unstacked, "output", t);
      let xk = op("MatMul", `${s}/MatMul`, [xt, kernel]);
      if (inputBias !== undefined) xk = op("BiasAdd", `${s}/BiasAdd`, [xk, inputBias]);
      if (kind === "simple") {
        const z =
          h === undefined ? xk : op("AddV2", `${s}/add`, [xk, op("MatMul", `${s}/MatMul_1`, [h, recurrentKernel])]);
        h = act(z, "activation", s);
      } else if (kind === "lstm") {
        const z =
          h === undefined ? xk : op("AddV2", `${s}/add`, [xk, op("MatMul", `${s}/MatMul_1`, [h, recurrentKernel])]);
        const [zi, zf, zc, zo] = split(z, 4, 1, `${s}/split`) as [string, string, string, string];
        const ig = act(zi, "recurrent_activation", `${s}/i`);
        const candidate = op("Mul", `${s}/mul`, [ig, act(zc, "activation", `${s}/c`)]);
        c =
          c === undefined
            ? candidate
            : op("AddV2", `${s}/add_1`, [
                op("Mul", `${s}/mul_1`, [act(zf, "recurrent_activation", `${s}/f`), c]),
                candidate,
              ]);
        h = op("Mul", `${s}/mul_2`, [act(zo, "recurrent_activation", `${s}/o`), act(c, "activation", `${s}/h`)]);
      } else {
        const [xz, xr, xh] = split(xk, 3, 1, `${s}/split`) as [string, string, string];
        let zPre = xz;
        let hPre = xh;
        if (resetAfter) {
          const inner =
            h === undefined
              ? innerBias
              : innerBias === undefined
                ? op("MatMul", `${s}/MatMul_1`, [h, recurrentKernel])
                : op("BiasAdd", `${s}/BiasAdd_1`, [op("MatMul", `${s}/MatMul_1`, [h, recurrentKernel]), innerBias]);
          if (inner !== undefined) {
            const [iz, ir, ih] = split(inner, 3, h === undefined ? 0 : 1, `${s}/split_1`) as [string, string, string];
            zPre = op("AddV2", `${s}/add`, [xz, iz]);
            const r = act(op("AddV2", `${s}/add_1`, [xr, ir]), "recurrent_activation", `${s}/r`);
            hPre = op("AddV2", `${s}/add_2`, [xh, op("Mul", `${s}/mul`, [r, ih])]);
          }
        } else if (h !== undefined) {
          const [kz, kr, kh] = gruColumns as [string, string, string];
          zPre = op("AddV2", `${s}/add`, [xz, op("MatMul", `${s}/MatMul_z`, [h, kz])]);
          const r = act(
            op("AddV2", `${s}/add_1`, [xr, op("MatMul", `${s}/MatMul_r`, [h, kr])]),
            "recurrent_activation",
            `${s}/r`,
          );
          hPre = op("AddV2", `${s}/add_2`, [xh, op("MatMul", `${s}/MatMul_h`, [op("Mul", `${s}/mul`, [r, h]), kh])]);
        }
        const z = act(zPre, "recurrent_activation", `${s}/z`);
        const candidate = act(hPre, "activation", `${s}/hh`);
        const kept = op("Mul", `${s}/mul_1`, [
          op("Sub", `${s}/sub`, [scalar(b, `${scope}/${s}/one`, 1), z]),
          candidate,
        ]);
        h = h === undefined ? kept : op("AddV2", `${s}/add_3`, [op("Mul", `${s}/mul_2`, [z, h]), kept]);
      }
      outputs.push(h);
    }
    if (config.return_sequences !== true) return [h!];
    return [op("Pack", "stack", outputs, { N: attr.int(outputs.length), axis: attr.int(1) })];
  };
}

/**
 * Bidirectional: the forward and backward layers lowered on the same input, the backward
 * sequence reversed back into time order, merged (concat, sum, mul or ave).
 */
export const bidirectional: Lowering = (call) => {
  const x = only(call);
  const { b, scope } = call;
  const wrapper = call.layer as Layer & { forwardLayer?: Layer; backwardLayer?: Layer; mergeMode?: string | null };
  if (wrapper.forwardLayer === undefined || wrapper.backwardLayer === undefined)
    throw unsupported(call, "it has no forward and backward layers");
  const mode = wrapper.mergeMode ?? null;
  if (mode === null) throw unsupported(call, "merge_mode None (two outputs)");
  const [forward] = call.sublayer(wrapper.forwardLayer, [x]);
  let [backward] = call.sublayer(wrapper.backwardLayer, [x]);
  const sequences = wrapper.forwardLayer.getConfig().return_sequences === true;
  if (sequences) {
    backward = b.op("ReverseV2", `${scope}/ReverseV2`, [backward!, ints(b, `${scope}/ReverseV2/axis`, [1])], {
      ...T,
      Tidx: attr.type("int32"),
    });
  }
  const pair = [forward!, backward!];
  switch (mode) {
    case "concat":
      return [
        b.op("ConcatV2", `${scope}/concat`, [...pair, scalar(b, `${scope}/concat/axis`, sequences ? 2 : 1, "int32")], {
          ...T,
          N: attr.int(2),
          Tidx: attr.type("int32"),
        }),
      ];
    case "sum":
      return [b.op("AddV2", `${scope}/add`, pair, T)];
    case "mul":
      return [b.op("Mul", `${scope}/mul`, pair, T)];
    case "ave":
      return [
        b.op("Mul", `${scope}/mul`, [b.op("AddV2", `${scope}/add`, pair, T), scalar(b, `${scope}/half`, 0.5)], T),
      ];
    default:
      throw unsupported(call, `merge_mode ${JSON.stringify(mode)}`);
  }
};
