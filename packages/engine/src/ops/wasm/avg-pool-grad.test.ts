import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend, registerGradients, registerWasmKernels } from "../../index.js";

// AvgPool's input gradient on WASM and CPU against TensorFlow's, recorded from tf.nn.avg_pool2d under a
// GradientTape (TF 2.x, the reference venv): input ones [1, h, w, 2], the pooled output weighted
// by 1, 2, 3, ... in row-major order and summed. tfjs's CPU AvgPoolGrad (which WASM used) divides
// by the whole window where "same" padding cuts it: its corner value for the first case is 1.5556.
const CASES: [number, number, number, number, "same" | "valid", number[]][] = [
  [
    4,
    4,
    3,
    1,
    "same",
    [
      3.4722, 4.1667, 5.75, 6.7222, 8.25, 9.2222, 6.5278, 7.2222, 8.4167, 9.3889, 13.0278, 14.3889, 16.5278, 17.8889,
      12.6944, 13.6667, 18.4167, 19.3889, 27.0278, 28.3889, 30.5278, 31.8889, 22.6944, 23.6667, 15.6944, 16.3889,
      22.8611, 23.8333, 25.3611, 26.3333, 18.75, 19.4444,
    ],
  ],
  [
    5,
    5,
    3,
    2,
    "same",
    [
      0.25, 0.5, 0.75, 1.1667, 0.5, 0.6667, 1.75, 2.1667, 1.25, 1.5, 1.4167, 1.8333, 2.9167, 3.6111, 1.5, 1.7778,
      4.5833, 5.2778, 3.0833, 3.5, 1.1667, 1.3333, 2.1667, 2.4444, 1.0, 1.1111, 2.8333, 3.1111, 1.8333, 2.0, 4.4167,
      4.8333, 7.9167, 8.6111, 3.5, 3.7778, 9.5833, 10.2778, 6.0833, 6.5, 3.25, 3.5, 5.75, 6.1667, 2.5, 2.6667, 6.75,
      7.1667, 4.25, 4.5,
    ],
  ],
  [
    5,
    4,
    2,
    2,
    "valid",
    [
      0.25, 0.5, 0.25, 0.5, 0.75, 1.0, 0.75, 1.0, 0.25, 0.5, 0.25, 0.5, 0.75, 1.0, 0.75, 1.0, 1.25, 1.5, 1.25, 1.5,
      1.75, 2.0, 1.75, 2.0, 1.25, 1.5, 1.25, 1.5, 1.75, 2.0, 1.75, 2.0, 0, 0, 0, 0, 0, 0, 0, 0,
    ],
  ],
];

describe.each(["wasm", "cpu"] as const)("AvgPoolGrad on %s", (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
    await registerGradients();
    registerWasmKernels();
  });
  afterAll(async () => {
    await initBackend({ backend: "wasm" });
  });

  it.each(CASES)(
    "%ix%i, pool %i, stride %i, %s: spreads each window over its inside positions, as TensorFlow",
    (h, w, k, s, pad, expected) => {
      const x = tf.ones([1, h, w, 2]) as tf.Tensor4D;
      const g = tf.grad((t: tf.Tensor) => {
        const y = tf.avgPool(t as tf.Tensor4D, k, s, pad);
        return tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape)));
      })(x);
      expect(tf.getBackend()).toBe(backend);
      const got = Array.from(g.dataSync());
      expect(got).toHaveLength(expected.length);
      for (const [i, v] of expected.entries()) expect(Math.abs(got[i]! - v), `element ${i}`).toBeLessThanOrEqual(1e-4);
    },
  );
});
