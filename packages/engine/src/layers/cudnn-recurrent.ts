import { type HostTensor, type JsonObject, cannot, hostTensor, toFloat32 } from "@kerastore/core";
import { EngineError } from "../errors.js";
import type { FromConfigContext } from "../keras-object.js";
import type { Layer } from "../layer.js";
import { GRU, LSTM } from "./recurrent.js";

/*
 * Keras 2's CuDNNLSTM and CuDNNGRU (GPU-only layers of Keras 2.0.9+ and tf.keras 1.x/2.x). Their
 * configs name no activations (cuDNN's are fixed: tanh, and sigmoid for the gates) and their
 * weights are laid out for cuDNN. Keras 2 loaded such weights into an LSTM or a
 * GRU(reset_after=True) by converting them (`_convert_rnn_weights` of its HDF5 loader); the
 * engine does the same: the config builds the plain layer and `cudnnToCanonicalWeights`
 * converts the file's weights. The model then saves as LSTM / GRU, which Keras 3 reads.
 */

/** The LSTM a CuDNNLSTM config describes: tanh, sigmoid gates, biases. */
export class CuDNNLSTM extends LSTM {
  static override readonly className: string = "CuDNNLSTM";

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const lstm = { ...config, activation: "tanh", recurrent_activation: "sigmoid", use_bias: true };
    return LSTM.fromConfig(lstm, ctx) as unknown as T;
  }
}

/** The GRU a CuDNNGRU config describes: reset after the product, tanh, sigmoid gates, biases. */
export class CuDNNGRU extends GRU {
  static override readonly className: string = "CuDNNGRU";

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    const gru = { ...config, activation: "tanh", recurrent_activation: "sigmoid", use_bias: true, reset_after: true };
    return GRU.fromConfig(gru, ctx) as unknown as T;
  }
}

/** Gates of each cuDNN layer, in Keras's order (LSTM i, f, c, o; GRU z, r, h). */
const GATES: Readonly<Record<string, number>> = { CuDNNLSTM: 4, CuDNNGRU: 3 };

/** True for the class names whose saved weights are in cuDNN's layout. */
export function isCudnnRecurrent(className: string): boolean {
  return GATES[className] !== undefined;
}

/**
 * A CuDNNLSTM's or CuDNNGRU's saved [kernel, recurrent_kernel, bias] as the LSTM's or
 * GRU(reset_after=True)'s, as Keras 2's loader converted them:
 * - each gate's block of the kernel ([input, units]) holds, in row-major order, cuDNN's
 *   [units, input] matrix: the Keras block is that matrix transposed;
 * - each gate's block of the recurrent kernel is transposed;
 * - the bias holds the input biases then the recurrent ones: an LSTM takes their sum
 *   ([8 units] -> [4 units]), a GRU both as rows ([6 units] -> [2, 3 units]).
 */
export function cudnnToCanonicalWeights(
  className: string,
  weights: readonly HostTensor[],
  where: string,
): HostTensor[] {
  const gates = GATES[className];
  if (gates === undefined) return [...weights];
  const [kernel, recurrent, bias] = weights;
  const units = recurrent?.shape[0] ?? 0;
  const input = kernel?.shape[0] ?? 0;
  const expect = (t: HostTensor | undefined, shape: number[]): boolean =>
    t !== undefined && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (
    weights.length !== 3 ||
    !expect(kernel, [input, gates * units]) ||
    !expect(recurrent, [units, gates * units]) ||
    !expect(bias, [2 * gates * units])
  ) {
    const shapes = weights.map((w) => `[${w.shape.join(", ")}]`).join(", ");
    throw new EngineError(
      "weight-mismatch",
      cannot(
        "convert",
        `the ${className} weights of ${where}`,
        `expected kernel [input, ${gates} * units], recurrent_kernel [units, ${gates} * units] and bias [${2 * gates} * units], got ${shapes}`,
      ),
    );
  }
  const k = toFloat32(kernel!);
  const r = toFloat32(recurrent!);
  const b = toFloat32(bias!);
  const width = gates * units;
  const keras = new Float32Array(k.length);
  const recurrentKeras = new Float32Array(r.length);
  for (let g = 0; g < gates; g++) {
    // Gate g's kernel block, read row-major, is cuDNN's [units, input] matrix W: Keras's is W^T.
    for (let i = 0; i < input; i++) {
      for (let u = 0; u < units; u++) {
        const flat = u * input + i;
        const row = Math.floor(flat / units);
        const col = flat % units;
        keras[i * width + g * units + u] = k[row * width + g * units + col]!;
      }
    }
    for (let i = 0; i < units; i++) {
      for (let u = 0; u < units; u++) recurrentKeras[i * width + g * units + u] = r[u * width + g * units + i]!;
    }
  }
  const canonicalBias =
    gates === 4
      ? hostTensor(
          "float32",
          [width],
          Float32Array.from({ length: width }, (_, j) => b[j]! + b[width + j]!),
        )
      : hostTensor("float32", [2, width], Float32Array.from(b));
  return [
    hostTensor("float32", [input, width], keras),
    hostTensor("float32", [units, width], recurrentKeras),
    canonicalBias,
  ];
}
