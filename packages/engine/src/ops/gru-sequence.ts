import * as tf from "@tensorflow/tfjs-core";
import { plainProduct } from "./matmul.js";

/**
 * A GRU with `reset_after` (Keras 3's default; tanh, sigmoid gates z, r, h) over a whole
 * sequence as one differentiable op with a hand-written backward pass through time, for
 * training (the twin of ops/lstm-sequence.ts).
 *
 * `xp` is the input projection of every step, input bias included ([steps * batch, 3 * units],
 * time major); `u` the recurrent kernel [units, 3 * units]; `br` the recurrent bias [3 * units]
 * (zeros without a bias); `h0` the initial state. Returns [steps, batch, units], the output of
 * every step. Per step: `inner = h @ u + br`, `z, r = sigmoid(xp_zr + inner_zr)`,
 * `hh = tanh(xp_h + r * inner_h)`, `h = hh + z * (h - hh)`.
 *
 * The forward step is 10 kernels, the backward step ~20; the recurrent kernel's gradient is one
 * product over all steps (`H_prev^T @ dInner`), the recurrent bias's one sum.
 */
export function gruSequence(xp: tf.Tensor2D, u: tf.Tensor2D, br: tf.Tensor1D, h0: tf.Tensor2D): tf.Tensor3D {
  return op(xp, u, br, h0) as tf.Tensor3D;
}

const op = tf.customGrad(((
  xp: tf.Tensor2D,
  u: tf.Tensor2D,
  br: tf.Tensor1D,
  h0: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [batch, units] = h0.shape;
  const steps = xp.shape[0] / batch;
  const width = 3 * units;
  const host = xp.dataSync() as Float32Array;
  const saved: tf.Tensor[] = [u, h0];
  const hs: tf.Tensor2D[] = [];
  let h = h0;
  for (let t = 0; t < steps; t++) {
    const xt = tf.tensor2d(host.subarray(t * batch * width, (t + 1) * batch * width), [batch, width]);
    const inner = tf.add(plainProduct(h, u), br);
    const [xzr, xh] = tf.split(xt, [2 * units, units], 1) as tf.Tensor2D[];
    const [izr, ih] = tf.split(inner, [2 * units, units], 1) as tf.Tensor2D[];
    const [z, r] = tf.split(tf.sigmoid(tf.add(xzr!, izr!)), 2, 1) as tf.Tensor2D[];
    const hh = tf.tanh(tf.add(xh!, tf.mul(r!, ih!)));
    const hNext = tf.add(hh, tf.mul(z!, tf.sub(h, hh))) as tf.Tensor2D;
    // Per step for the backward pass: the gates, the candidate, the recurrent candidate input.
    saved.push(z!, r!, hh, ih!);
    hs.push(hNext);
    h = hNext;
  }
  saved.push(...hs);
  save(saved);
  const value = tf.stack(hs, 0);
  return {
    value,
    gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
      const [su, sh0] = s as [tf.Tensor2D, tf.Tensor2D];
      const n = (s.length - 2) / 5;
      const part = (t: number, k: number) => s[2 + t * 4 + k] as tf.Tensor2D;
      const out = (t: number) => s[2 + n * 4 + t] as tf.Tensor2D;
      const dHost = dy.dataSync() as Float32Array;
      const area = batch * units;
      const dRow = (t: number) => tf.tensor2d(dHost.subarray(t * area, (t + 1) * area), [batch, units]);
      const uT = tf.transpose(su);
      let dh: tf.Tensor2D = tf.zeros([batch, units]);
      const dxs: tf.Tensor2D[] = new Array(n);
      const dinners: tf.Tensor2D[] = new Array(n);
      for (let t = n - 1; t >= 0; t--) {
        const [z, r, hh, ih] = [0, 1, 2, 3].map((k) => part(t, k)) as tf.Tensor2D[];
        const hPrev = t === 0 ? sh0 : out(t - 1);
        const dhT = tf.add(dh, dRow(t));
        const dz = tf.mul(tf.mul(dhT, tf.sub(hPrev, hh!)), tf.mul(z!, tf.sub(1, z!)));
        const da = tf.mul(tf.mul(dhT, tf.sub(1, z!)), tf.sub(1, tf.square(hh!)));
        const dr = tf.mul(tf.mul(da, ih!), tf.mul(r!, tf.sub(1, r!)));
        dxs[t] = tf.concat([dz, dr, da], 1) as tf.Tensor2D;
        const dInner = tf.concat([dz, dr, tf.mul(da, r!)], 1) as tf.Tensor2D;
        dinners[t] = dInner;
        dh = tf.add(tf.mul(dhT, z!), plainProduct(dInner, uT)) as tf.Tensor2D;
      }
      const dXP = tf.concat(dxs, 0) as tf.Tensor2D;
      const dI = tf.concat(dinners, 0) as tf.Tensor2D;
      // Each step's recurrent input: h0, then the outputs but the last.
      const hPrev = tf.concat([sh0, ...Array.from({ length: n - 1 }, (_, t) => out(t))], 0) as tf.Tensor2D;
      const dU = plainProduct(tf.transpose(hPrev), dI);
      return [dXP, dU, tf.sum(dI, 0), dh];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;
