import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { GRU, LSTM, SimpleRNN, initBackend, installWasmFallbacks, registerGradients } from "../index.js";

// Training runs LSTM, GRU (reset_after) and SimpleRNN with Keras's default activations through
// one fused op per sequence (ops/*-sequence.ts). The same layer with tanh given as a function
// (not a built-in, so it runs step by step) must give the same outputs and the same gradients
// for every weight, the initial states and the input.

const [B, T, F, U] = [3, 7, 5, 4];
const tanh = (x: tf.Tensor) => tf.tanh(x);
const fill = (shape: number[], seed: number) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => 0.6 * Math.sin(k * 0.37 + seed)),
    shape,
  );

type Make = (activation: string | typeof tanh, returnSequences: boolean) => LSTM | GRU | SimpleRNN;
const layers: [string, Make, number][] = [
  [
    "LSTM",
    (activation, returnSequences) => new LSTM({ units: U, activation: activation as never, returnSequences }),
    2,
  ],
  ["GRU", (activation, returnSequences) => new GRU({ units: U, activation: activation as never, returnSequences }), 1],
  [
    "GRU without bias",
    (activation, returnSequences) =>
      new GRU({ units: U, activation: activation as never, returnSequences, useBias: false }),
    1,
  ],
  [
    "SimpleRNN",
    (activation, returnSequences) => new SimpleRNN({ units: U, activation: activation as never, returnSequences }),
    1,
  ],
];

function run(layer: LSTM | GRU | SimpleRNN, states: number): Float32Array[] {
  return tf.tidy(() => {
    const x = fill([B, T, F], 1);
    const s0 = Array.from({ length: states }, (_, i) => fill([B, U], 2 + i));
    layer.apply(x, { training: true });
    layer.setWeights(layer.weights.map((w, i) => fill(w.shape as number[], 10 + i).dataSync() as Float32Array));
    const f = (...args: tf.Tensor[]) => {
      const out = layer.call([args[0]!, ...args.slice(1, 1 + states)], { training: true }) as tf.Tensor;
      return tf.sum(tf.mul(out, fill(out.shape, 9)));
    };
    const weights = layer.trainableWeights.map((w) => w.value);
    const { value, grads } = tf.valueAndGrads((...ins: tf.Tensor[]) => f(...ins))([x, ...s0, ...weights]);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe("fused recurrent training", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
    await installWasmFallbacks();
  });

  for (const [name, make, states] of layers) {
    for (const returnSequences of [false, true]) {
      it(`${name} (return_sequences ${returnSequences}) equals the step-by-step recurrence, gradients included`, () => {
        const fused = run(make("tanh", returnSequences), states);
        const steps = run(make(tanh, returnSequences), states);
        expect(fused.length).toBe(steps.length);
        for (const [k, r] of steps.entries()) {
          let scale = 0;
          for (const v of r) scale = Math.max(scale, Math.abs(v));
          expect(scale, `input ${k}`).toBeGreaterThan(0);
          for (let j = 0; j < r.length; j++)
            expect(Math.abs(fused[k]![j]! - r[j]!), `input ${k} [${j}]`).toBeLessThan(1e-5 * scale + 1e-7);
        }
      });
    }
  }
});
