import { beforeAll, describe, expect, it } from "vitest";
import { initBackend, tf } from "../index.js";
import { BatchNormalization } from "./normalization.js";

beforeAll(async () => {
  await initBackend();
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
