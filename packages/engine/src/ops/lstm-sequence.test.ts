import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { registerGradients } from "./gradients.js";
import { installWasmFallbacks } from "./kernel-fallback.js";
import { lstmSequence, lstmSequenceComposite, lstmSequenceForward } from "./lstm-sequence.js";

// The fused LSTM sequence op against the same recurrence written with tfjs ops (tfjs's
// automatic gradients): values and the gradients of every input.

const [T, B, U] = [5, 3, 4];

function reference(xp: tf.Tensor2D, u: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor {
  let h = h0;
  let c = c0;
  const hs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const z = tf.add(tf.slice(xp, [t * B, 0], [B, 4 * U]), tf.matMul(h, u));
    const [i, f, g, o] = tf.split(z, 4, 1) as tf.Tensor2D[];
    c = tf.add(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!))) as tf.Tensor2D;
    h = tf.mul(tf.sigmoid(o!), tf.tanh(c)) as tf.Tensor2D;
    hs.push(tf.expandDims(h, 0));
  }
  return tf.concat([...hs, tf.expandDims(c, 0)], 0);
}

function run(fn: typeof reference): Float32Array[] {
  return tf.tidy(() => {
    const v = (shape: number[], seed: number) =>
      tf.tensor(
        Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => Math.sin(k * 0.7 + seed)),
        shape,
      );
    const inputs = [v([T * B, 4 * U], 1), tf.mul(v([U, 4 * U], 2), 0.5), v([B, U], 3), v([B, U], 4)] as tf.Tensor2D[];
    const weights = v([T + 1, B, U], 5);
    const value = fn(...(inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]));
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      tf.sum(tf.mul(fn(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor2D), weights)),
    )(inputs);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe("lstmSequence", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
    await installWasmFallbacks();
  });

  it("computes the LSTM recurrence and its gradients as tfjs's ops do", () => {
    const fused = run(lstmSequence);
    const ref = run(reference);
    const names = ["value", "d xp", "d recurrent kernel", "d h0", "d c0"];
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

  it("runs as two WASM kernels with the composite's results, bit for bit", () => {
    expect(tf.getBackend()).toBe("wasm");
    const fused = run(lstmSequence);
    const composite = run(lstmSequenceComposite);
    for (const [k, c] of composite.entries()) expect(Array.from(fused[k]!)).toEqual(Array.from(c));
    // Inference: the forward kernel alone.
    const forward = tf.tidy(() => {
      const v = (shape: number[], seed: number) =>
        tf.tensor(
          Array.from({ length: shape.reduce((a, b) => a * b) }, (_, k) => Math.sin(k * 0.7 + seed)),
          shape,
        );
      const inputs = [v([T * B, 4 * U], 1), tf.mul(v([U, 4 * U], 2), 0.5), v([B, U], 3), v([B, U], 4)] as tf.Tensor2D[];
      return lstmSequenceForward(inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!).dataSync() as Float32Array;
    });
    expect(Array.from(forward)).toEqual(Array.from(composite[0]!));
  });

  it("leaves no tensors behind", () => {
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    run(lstmSequence);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
  });
});
