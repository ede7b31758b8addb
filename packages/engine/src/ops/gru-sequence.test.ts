import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { registerGradients } from "./gradients.js";
import { gruSequence } from "./gru-sequence.js";
import { installWasmFallbacks } from "./kernel-fallback.js";

// The fused GRU (reset_after) sequence op against the same recurrence written with tfjs ops
// (tfjs's automatic gradients): values and the gradients of every input.

const [T, B, U] = [5, 3, 4];

function reference(xp: tf.Tensor2D, u: tf.Tensor2D, br: tf.Tensor1D, h0: tf.Tensor2D): tf.Tensor {
  let h = h0;
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const [xz, xr, xh] = tf.split(tf.slice(xp, [t * B, 0], [B, 3 * U]), 3, 1) as tf.Tensor2D[];
    const [iz, ir, ih] = tf.split(tf.add(tf.matMul(h, u), br), 3, 1) as tf.Tensor2D[];
    const z = tf.sigmoid(tf.add(xz!, iz!));
    const r = tf.sigmoid(tf.add(xr!, ir!));
    const hh = tf.tanh(tf.add(xh!, tf.mul(r, ih!)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
    hs.push(tf.expandDims(h, 0));
  }
  return tf.concat(hs, 0);
}

function run(fn: typeof reference): Float32Array[] {
  return tf.tidy(() => {
    const v = (shape: number[], seed: number) =>
      tf.tensor(
        Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => Math.sin(k * 0.7 + seed)),
        shape,
      );
    const inputs = [v([T * B, 3 * U], 1), tf.mul(v([U, 3 * U], 2), 0.5), v([3 * U], 6), v([B, U], 3)];
    const weights = v([T, B, U], 5);
    const call = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      fn(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor1D, d as tf.Tensor2D);
    const value = call(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]));
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      tf.sum(tf.mul(call(a, b, c, d), weights)),
    )(inputs);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe("gruSequence", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
    await installWasmFallbacks();
  });

  it("computes the GRU recurrence and its gradients as tfjs's ops do", () => {
    const fused = run(gruSequence);
    const ref = run(reference);
    const names = ["value", "d xp", "d recurrent kernel", "d recurrent bias", "d h0"];
    for (const [k, r] of ref.entries()) {
      const f = fused[k]!;
      expect(f.length, names[k]).toBe(r.length);
      let scale = 0;
      for (const x of r) scale = Math.max(scale, Math.abs(x));
      expect(scale, names[k]).toBeGreaterThan(0);
      for (let j = 0; j < r.length; j++)
        expect(Math.abs(f[j]! - r[j]!), `${names[k]} [${j}]`).toBeLessThan(1e-5 * scale + 1e-6);
    }
  });

  it("leaves no tensors behind", () => {
    const before = tf.memory().numTensors;
    run(gruSequence);
    expect(tf.memory().numTensors).toBe(before);
  });
});
