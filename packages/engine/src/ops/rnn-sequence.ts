import * as tf from "@tensorflow/tfjs-core";
import { plainProduct } from "./matmul.js";

/**
 * A SimpleRNN with tanh over a whole sequence as one differentiable op with a hand-written
 * backward pass through time, for training (the twin of ops/lstm-sequence.ts).
 *
 * `xp` is the input projection of every step, bias included ([steps * batch, units], time
 * major); `u` the recurrent kernel; `h0` the initial state. Returns [steps, batch, units], the
 * output of every step: `h = tanh(xp_t + h @ u)`. Three kernels a step forward, four backward;
 * the recurrent kernel's gradient is one product over all steps.
 */
export function simpleRnnSequence(xp: tf.Tensor2D, u: tf.Tensor2D, h0: tf.Tensor2D): tf.Tensor3D {
  return op(xp, u, h0) as tf.Tensor3D;
}

const op = tf.customGrad(((xp: tf.Tensor2D, u: tf.Tensor2D, h0: tf.Tensor2D, save: tf.GradSaveFunc) => {
  const [batch, units] = h0.shape;
  const steps = xp.shape[0] / batch;
  const host = xp.dataSync() as Float32Array;
  const area = batch * units;
  const hs: tf.Tensor2D[] = [];
  let h = h0;
  for (let t = 0; t < steps; t++) {
    const xt = tf.tensor2d(host.subarray(t * area, (t + 1) * area), [batch, units]);
    h = tf.tanh(tf.add(xt, plainProduct(h, u))) as tf.Tensor2D;
    hs.push(h);
  }
  save([u, h0, ...hs]);
  const value = tf.stack(hs, 0);
  return {
    value,
    gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
      const [su, sh0] = s as [tf.Tensor2D, tf.Tensor2D];
      const n = s.length - 2;
      const out = (t: number) => s[2 + t] as tf.Tensor2D;
      const dHost = dy.dataSync() as Float32Array;
      const dRow = (t: number) => tf.tensor2d(dHost.subarray(t * area, (t + 1) * area), [batch, units]);
      const uT = tf.transpose(su);
      let dh: tf.Tensor2D = tf.zeros([batch, units]);
      const das: tf.Tensor2D[] = new Array(n);
      for (let t = n - 1; t >= 0; t--) {
        const ht = out(t);
        const da = tf.mul(tf.add(dh, dRow(t)), tf.sub(1, tf.square(ht))) as tf.Tensor2D;
        das[t] = da;
        dh = plainProduct(da, uT);
      }
      const dA = tf.concat(das, 0) as tf.Tensor2D;
      const hPrev = tf.concat([sh0, ...Array.from({ length: n - 1 }, (_, t) => out(t))], 0) as tf.Tensor2D;
      return [dA, plainProduct(tf.transpose(hPrev), dA), dh];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;
