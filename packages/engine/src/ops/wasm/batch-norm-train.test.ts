import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerGradients } from "../gradients.js";
import { BATCH_NORM_RELU_TRAIN, BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from "./batch-norm-train.js";
import { registerWasmKernels } from "./index.js";
import { reluGradKernel } from "./relu-train.js";

// Batch normalization's training kernels (./batch-norm-train.ts) with a ReLU fused (`relu`):
// relu of the output and the gradient through the ReLU, bit for bit as the ReLU's kernels run
// after and before the plain ones (SIMD loops for channels by 4s, JavaScript loops otherwise);
// and the moving statistics' update inside the forward kernel, bit for bit as the layer's ops.

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 2);
}

/** The values' bits, every NaN as one (a NaN's sign and payload carry nothing). */
function bits(t: tf.Tensor): number[] {
  const v = t.dataSync() as Float32Array;
  return Array.from(new Uint32Array(Float32Array.from(v).buffer), (b, i) => (Number.isNaN(v[i]!) ? 0x7fc00000 : b));
}

function tensor(info: unknown): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(info as never);
}

describe("batch normalization with a ReLU fused, while training", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
    await registerGradients();
  });

  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) =>
    tf.engine().runKernel(name, inputs as never, attrs as never) as tf.Tensor[];

  it("updates the moving statistics as the layer's ops do, bit for bit", () => {
    tf.tidy(() => {
      for (const c of [8, 6]) {
        const x = tf.tensor(values(40 * c, c), [40, c]);
        const [gamma, beta] = [tf.ones([c]), tf.zeros([c])];
        const movingMean = tf.tensor(values(c, 3));
        const movingVariance = tf.abs(tf.tensor(values(c, 4)));
        const momentum = 0.9;
        const [, mean, variance, newMean, newVariance] = run(
          BATCH_NORM_TRAIN,
          { x, gamma, beta, movingMean, movingVariance },
          { epsilon: 1e-3, momentum },
        );
        const ops = (m: tf.Tensor, b: tf.Tensor) => tf.add(tf.mul(m, momentum), tf.mul(b, 1 - momentum));
        expect(bits(newMean!), `mean, ${c} channels`).toEqual(bits(ops(movingMean, mean!)));
        expect(bits(newVariance!), `variance, ${c} channels`).toEqual(bits(ops(movingVariance, variance!)));
        expect(bits(newMean!)).not.toEqual(bits(movingMean));
      }
    });
  });

  for (const c of [16, 6]) {
    it(`gives relu of the normalization and its gradient through the ReLU, bit for bit (${c} channels)`, () => {
      tf.tidy(() => {
        const shape = [4, 5, 7, c];
        const n = shape.reduce((a, d) => a * d, 1);
        // Half the outputs below zero; a few gradients tiny, one NaN, one infinite.
        const x = tf.tensor(values(n, 2), shape);
        const dyv = values(n, 9).map((v, i) => (i % 11 === 0 ? v * 1e-32 : v));
        dyv[5] = Number.NaN;
        dyv[c * 3 + 1] = Infinity;
        const dy = tf.tensor(dyv, shape);
        const gamma = tf.tensor(Float32Array.from({ length: c }, (_, j) => 0.5 + j / c));
        const beta = tf.tensor(Float32Array.from({ length: c }, (_, j) => Math.cos(j) * 0.3));
        const epsilon = 1e-3;
        const [y, mean, variance] = run(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon });
        const [yr, meanR, varianceR] = run(BATCH_NORM_RELU_TRAIN, { x, gamma, beta }, { epsilon });
        expect(bits(yr!)).toEqual(bits(tf.relu(y!)));
        expect(bits(meanR!)).toEqual(bits(mean!));
        expect(bits(varianceR!)).toEqual(bits(variance!));
        // Unfused: the ReLU's gradient (the engine's kernel), then the normalization's.
        const dz = tensor(reluGradKernel({ inputs: { dy, t: y } as never, backend: tf.backend() as never }));
        const want = run(BATCH_NORM_TRAIN_GRAD, { dy: dz, x, gamma, mean: mean!, variance: variance! }, { epsilon });
        const got = run(
          BATCH_NORM_TRAIN_GRAD,
          { dy, x, gamma, y: yr!, mean: mean!, variance: variance! },
          { epsilon, relu: true },
        );
        for (const [i, what] of ["dx", "dgamma", "dbeta"].entries())
          expect(bits(got[i]!), what).toEqual(bits(want[i]!));
        expect(Array.from(got[0]!.dataSync()).some((v) => Number.isNaN(v))).toBe(true);
      });
    });
  }
});
