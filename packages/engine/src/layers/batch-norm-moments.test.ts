import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, registerGradients, tf } from "../index.js";
import { BatchNormalization } from "./normalization.js";

beforeAll(async () => {
  await initBackend();
  await registerGradients();
});

/** Deterministic values: channel c is offset[c] plus a spread of about 1 (a small LCG). */
function channels(count: number, offsets: readonly number[]): Float32Array {
  const out = new Float32Array(count * offsets.length);
  let seed = 12345;
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    out[i] = offsets[i % offsets.length]! + (seed / 2147483648 - 0.5) * 3.4;
  }
  return out;
}

/** Training-mode BatchNormalization (gamma 1, beta 0) of channels-last values, in float64. */
function normalized64(x: Float32Array, channelCount: number, epsilon: number): Float64Array {
  const n = x.length / channelCount;
  const out = new Float64Array(x.length);
  for (let c = 0; c < channelCount; c++) {
    let mean = 0;
    for (let i = c; i < x.length; i += channelCount) mean += x[i]!;
    mean /= n;
    let variance = 0;
    for (let i = c; i < x.length; i += channelCount) variance += (x[i]! - mean) ** 2;
    variance /= n;
    for (let i = c; i < x.length; i += channelCount) out[i] = (x[i]! - mean) / Math.sqrt(variance + epsilon);
  }
  return out;
}

describe("BatchNormalization's training moments", () => {
  // ResNet50V2's first BatchNormalization normalizes 512 values per channel whose mean is
  // several times their spread (a max-pooled convolution with a bias). A sequential float32
  // sum of the values is off in proportion to the mean; Keras's (TensorFlow's tree sums) is not.
  it.each([
    [
      [8, 8, 8, 4],
      [40, -25, 3, 60],
    ],
    [
      [8, 16, 16, 2],
      [40, -25],
    ],
  ])("normalize %j values with large means as near float64 as float32 allows", (shape, offsets) => {
    const count = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const x = channels(count, offsets);
    const layer = new BatchNormalization({ epsilon: 1.001e-5 });
    const input = tf.tensor(x, shape);
    layer.build(shape);
    const y = layer.call(input, { training: true });
    const ours = y.dataSync();
    const exact = normalized64(x, offsets.length, 1.001e-5);
    let worst = 0;
    for (let i = 0; i < exact.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - exact[i]!));
    // Outputs are of unit scale; Keras's arrangement x * inv - mean * inv cancels ~60 * 2^-24 of
    // it (4e-6 measured). A sequential mean: 2.5e-5.
    expect(worst).toBeLessThanOrEqual(1e-5);
    tf.dispose([input, y]);
    layer.dispose();
  });
});

describe("BatchNormalization's training gradient", () => {
  // A bias added before a BatchNormalization in training mode has an exactly zero gradient
  // (the mean takes it away): in float32 what is left is rounding, which the corrected mean
  // must not grow (the correction is zero in exact arithmetic and carries no gradient).
  it("leaves a bias before it a gradient of rounding size only", () => {
    const shape = [8, 8, 8, 4];
    const count = 8 * 8 * 8;
    const x = tf.tensor(channels(count, [40, -25, 3, 60]), shape);
    const weights = tf.tensor(channels(count, [0.5, -0.2, 0.1, 0.3]), shape);
    const layer = new BatchNormalization({ epsilon: 1.001e-5 });
    layer.build(shape);
    const bias = tf.zeros([4]);
    const grad = tf.grad((b: tf.Tensor) => tf.sum(tf.mul(layer.call(tf.add(x, b), { training: true }), weights)))(bias);
    const worst = Math.max(...Array.from(grad.dataSync()).map(Math.abs));
    // Measured: 1.2e-5 (2.4e-5 with the plain mean); differentiating through the correction: 8.3e-4.
    expect(worst).toBeLessThanOrEqual(1e-4);
    tf.dispose([x, weights, bias, grad]);
    layer.dispose();
  });
});
