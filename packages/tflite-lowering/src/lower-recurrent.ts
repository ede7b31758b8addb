import type { ActivationInfo } from "@kerastore/engine";
import { BuiltinOperator } from "@kerastore/tflite";
import { applyActivation } from "./activations.js";
import { type Lowered, type Lowering, only, transpose2d, unsupported } from "./lower-call.js";

type Kind = "simple" | "lstm" | "gru";

interface Cell {
  readonly units: number;
  readonly activation: ActivationInfo;
  readonly recurrentActivation?: ActivationInfo | undefined;
  readonly resetAfter?: boolean | undefined;
}

/** Columns `[from, to)` of a row-major `[rows, cols]` matrix. */
function columns(values: Float32Array, rows: number, cols: number, from: number, to: number): Float32Array {
  const out = new Float32Array(rows * (to - from));
  for (let r = 0; r < rows; r++) out.set(values.subarray(r * cols + from, r * cols + to), r * (to - from));
  return out;
}

/**
 * SimpleRNN, LSTM and GRU unrolled over their static number of steps (what Keras computes
 * with `unroll=True`): UNPACK the steps, per step FULLY_CONNECTED of the input and of the
 * state, SPLIT into Keras's gates (LSTM i, f, c, o; GRU z, r, h, `reset_after` or not), the
 * cell's own activations (Keras 2's hard_sigmoid included), and PACK of the outputs when the
 * layer returns sequences. States start at zero.
 */
export function recurrent(kind: Kind): Lowering {
  return (call) => {
    const x = only(call);
    const { g, config, name } = call;
    if (config.return_state === true) throw unsupported(call, "return_state");
    if (config.stateful === true) throw unsupported(call, "a stateful RNN");
    const cell = (call.layer as unknown as { cell: Cell }).cell;
    const [batch, steps, features] = x.shape as [number, number, number];
    if (x.shape.length !== 3 || !(steps >= 1)) throw unsupported(call, "its number of time steps is not known");
    const kernel = call.weight("kernel");
    const recurrentKernel = call.weight("recurrent_kernel");
    if (kernel === undefined || recurrentKernel === undefined)
      throw unsupported(call, "it has no kernel and recurrent kernel");
    const u = cell.units;
    const gates = kind === "lstm" ? 4 : kind === "gru" ? 3 : 1;
    const bias = config.use_bias === false ? undefined : call.weight("bias")?.values;
    const resetAfter = kind === "gru" && cell.resetAfter !== false;
    const fc = (w: number, b: number, input: number, width: number, step: string) =>
      g.op(
        BuiltinOperator.FULLY_CONNECTED,
        [input, w, b],
        [batch, width],
        `${name}/${step}`,
        {
          kind: "FullyConnectedOptions",
          fusedActivationFunction: 0,
          keepNumDims: false,
          asymmetricQuantizeInputs: g.isQuantized(w),
        },
        g.isQuantized(w) ? 9 : 1,
      );
    const shape2 = [batch, u];
    const op2 = (code: number, a: number, b: number, step: string) =>
      g.op(
        code,
        [a, b],
        shape2,
        `${name}/${step}`,
        code === BuiltinOperator.ADD
          ? { kind: "AddOptions", fusedActivationFunction: 0 }
          : code === BuiltinOperator.MUL
            ? { kind: "MulOptions", fusedActivationFunction: 0 }
            : { kind: "SubOptions", fusedActivationFunction: 0 },
      );
    const act = (a: ActivationInfo | undefined, index: number, step: string) =>
      applyActivation(g, a, { index, shape: shape2 }, `${name}/${step}`, call.where).index;
    const axis = g.ints(`${name}/split_axis`, [], [1]);
    const split = (input: number, parts: number, step: string) =>
      g.multi(
        BuiltinOperator.SPLIT,
        [axis, input],
        Array.from({ length: parts }, () => shape2),
        `${name}/${step}`,
        { kind: "SplitOptions", numSplits: parts },
      );

    const wx = g.weight(`${name}/kernel`, [gates * u, features], transpose2d(kernel.values, features, gates * u), {
      hybrid: true,
    });
    // GRU with reset_after has a [2, 3u] bias: input bias, recurrent bias.
    const inputBias =
      bias === undefined ? -1 : g.floats(`${name}/bias`, [gates * u], resetAfter ? bias.subarray(0, gates * u) : bias);
    const recurrentBias =
      bias !== undefined && resetAfter ? g.floats(`${name}/recurrent_bias`, [gates * u], bias.subarray(gates * u)) : -1;
    let wh: number;
    let whCandidate = -1;
    if (kind === "gru" && !resetAfter) {
      wh = g.weight(
        `${name}/recurrent_kernel_zr`,
        [2 * u, u],
        transpose2d(columns(recurrentKernel.values, u, 3 * u, 0, 2 * u), u, 2 * u),
        { hybrid: true },
      );
      whCandidate = g.weight(
        `${name}/recurrent_kernel_h`,
        [u, u],
        transpose2d(columns(recurrentKernel.values, u, 3 * u, 2 * u, 3 * u), u, u),
        { hybrid: true },
      );
    } else {
      wh = g.weight(`${name}/recurrent_kernel`, [gates * u, u], transpose2d(recurrentKernel.values, u, gates * u), {
        hybrid: true,
      });
    }
    const steps_ = g.multi(
      BuiltinOperator.UNPACK,
      [x.index],
      Array.from({ length: steps }, () => [batch, features]),
      `${name}/unstack`,
      { kind: "UnpackOptions", num: steps, axis: 1 },
    );
    let h = g.floats(`${name}/initial_h`, shape2, new Float32Array(batch * u));
    let c = kind === "lstm" ? g.floats(`${name}/initial_c`, shape2, new Float32Array(batch * u)) : -1;
    const outputs: number[] = [];
    const order = Array.from({ length: steps }, (_, i) => (config.go_backwards === true ? steps - 1 - i : i));
    for (const [i, t] of order.entries()) {
      const s = `step_${i}`;
      const xk = fc(wx, inputBias, steps_[t]!, gates * u, `${s}/input`);
      if (kind === "simple") {
        h = act(cell.activation, op2(BuiltinOperator.ADD, xk, fc(wh, -1, h, u, `${s}/state`), `${s}/add`), `${s}/h`);
      } else if (kind === "lstm") {
        const z = g.op(
          BuiltinOperator.ADD,
          [xk, fc(wh, -1, h, 4 * u, `${s}/state`)],
          [batch, 4 * u],
          `${name}/${s}/add`,
          { kind: "AddOptions", fusedActivationFunction: 0 },
        );
        const [zi, zf, zc, zo] = split(z, 4, `${s}/split`) as [number, number, number, number];
        const ig = act(cell.recurrentActivation, zi, `${s}/i`);
        const fg = act(cell.recurrentActivation, zf, `${s}/f`);
        const og = act(cell.recurrentActivation, zo, `${s}/o`);
        const candidate = op2(BuiltinOperator.MUL, ig, act(cell.activation, zc, `${s}/c`), `${s}/mul_ic`);
        c = op2(BuiltinOperator.ADD, op2(BuiltinOperator.MUL, fg, c, `${s}/mul_fc`), candidate, `${s}/c_new`);
        h = op2(BuiltinOperator.MUL, og, act(cell.activation, c, `${s}/tanh_c`), `${s}/h_new`);
      } else {
        const [xz, xr, xh] = split(xk, 3, `${s}/split_x`) as [number, number, number];
        let hz: number;
        let hr: number;
        let candidateInput: number;
        if (resetAfter) {
          const hk = fc(wh, recurrentBias, h, 3 * u, `${s}/state`);
          const [a, b, hh] = split(hk, 3, `${s}/split_h`) as [number, number, number];
          hz = a;
          hr = b;
          const r = act(cell.recurrentActivation, op2(BuiltinOperator.ADD, xr, hr, `${s}/add_r`), `${s}/r`);
          candidateInput = op2(BuiltinOperator.ADD, xh, op2(BuiltinOperator.MUL, r, hh, `${s}/mul_rh`), `${s}/add_h`);
        } else {
          const hzr = g.op(
            BuiltinOperator.FULLY_CONNECTED,
            [h, wh, -1],
            [batch, 2 * u],
            `${name}/${s}/state`,
            {
              kind: "FullyConnectedOptions",
              fusedActivationFunction: 0,
              keepNumDims: false,
              asymmetricQuantizeInputs: g.isQuantized(wh),
            },
            g.isQuantized(wh) ? 9 : 1,
          );
          const parts = g.multi(BuiltinOperator.SPLIT, [axis, hzr], [shape2, shape2], `${name}/${s}/split_h`, {
            kind: "SplitOptions",
            numSplits: 2,
          });
          hz = parts[0]!;
          hr = parts[1]!;
          const r = act(cell.recurrentActivation, op2(BuiltinOperator.ADD, xr, hr, `${s}/add_r`), `${s}/r`);
          const rh = op2(BuiltinOperator.MUL, r, h, `${s}/mul_rh`);
          candidateInput = op2(BuiltinOperator.ADD, xh, fc(whCandidate, -1, rh, u, `${s}/state_h`), `${s}/add_h`);
        }
        const z = act(cell.recurrentActivation, op2(BuiltinOperator.ADD, xz, hz, `${s}/add_z`), `${s}/z`);
        const hh = act(cell.activation, candidateInput, `${s}/hh`);
        // h = z * h + (1 - z) * hh = hh + z * (h - hh)
        h = op2(
          BuiltinOperator.ADD,
          hh,
          op2(BuiltinOperator.MUL, z, op2(BuiltinOperator.SUB, h, hh, `${s}/sub`), `${s}/mul_z`),
          `${s}/h_new`,
        );
      }
      outputs.push(h);
    }
    if (config.return_sequences !== true) return [{ index: h, shape: shape2 }];
    const shape = [batch, steps, u];
    return [
      {
        index: g.op(BuiltinOperator.PACK, outputs, shape, `${name}/stack`, {
          kind: "PackOptions",
          valuesCount: steps,
          axis: 1,
        }),
        shape,
      } satisfies Lowered,
    ];
  };
}
