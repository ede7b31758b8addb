import * as tf from "@tensorflow/tfjs-core";
import { plainProduct } from "./matmul.js";
import { ensureLstmKernels, LSTM_BACKWARD, LSTM_FORWARD } from "./wasm/lstm-kernels.js";

/**
 * An LSTM (tanh, sigmoid gates i, f, c, o) over a whole sequence as one differentiable op with
 * a hand-written backward pass through time, for training.
 *
 * `xp` is the input projection of every step, bias included ([steps * batch, 4 * units], time
 * major); `u` the recurrent kernel; `h0`, `c0` the initial states. Returns [steps + 1, batch,
 * units]: the output of every step, then the last cell state.
 *
 * Through tfjs's tape, a step costs ~70 kernels and the bookkeeping of each; here the forward
 * step is 11 kernels, the backward step ~25, the tape sees one op, and the weight gradients
 * are one product over all steps (`H_prev^T @ dZ`), not one per step.
 */
export function lstmSequence(xp: tf.Tensor2D, u: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor3D {
  return (ensureLstmKernels() ? fusedOp : op)(xp, u, h0, c0) as tf.Tensor3D;
}

/**
 * The same sequence for inference (no gradient): on WASM one kernel for all the steps
 * (./wasm/lstm-kernels.ts), elsewhere the composite's forward steps.
 */
export function lstmSequenceForward(xp: tf.Tensor2D, u: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor3D {
  if (!ensureLstmKernels()) return tf.tidy(() => op(xp, u, h0, c0)) as tf.Tensor3D;
  const [seq] = tf
    .engine()
    .runKernel(LSTM_FORWARD, { xp, u, h0, c0 } as never, { train: false } as never) as tf.Tensor[];
  return seq as tf.Tensor3D;
}

/** The sequence as tfjs ops (any backend): the reference of the WASM kernels' tests. */
export function lstmSequenceComposite(xp: tf.Tensor2D, u: tf.Tensor2D, h0: tf.Tensor2D, c0: tf.Tensor2D): tf.Tensor3D {
  return op(xp, u, h0, c0) as tf.Tensor3D;
}

// On WASM: the forward and backward passes as one kernel each (./wasm/lstm-kernels.ts), the
// composite's results bit for bit.
const fusedOp = tf.customGrad(((
  xp: tf.Tensor2D,
  u: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [seq, act, tc, cprev, hprev] = tf
    .engine()
    .runKernel(LSTM_FORWARD, { xp, u, h0, c0 } as never, { train: true } as never) as tf.Tensor[];
  save([u, act!, tc!, cprev!, hprev!]);
  return {
    value: seq!,
    gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
      const [su, sact, stc, scprev, shprev] = s as tf.Tensor2D[];
      const uT = tf.transpose(su!);
      const [dZ, dh0, dc0] = tf
        .engine()
        .runKernel(LSTM_BACKWARD, { dy, act: sact!, tc: stc!, cprev: scprev!, uT } as never) as tf.Tensor[];
      const dU = plainProduct(tf.transpose(shprev!), dZ as tf.Tensor2D);
      return [dZ!, dU, dh0!, dc0!];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;

const op = tf.customGrad(((
  xp: tf.Tensor2D,
  u: tf.Tensor2D,
  h0: tf.Tensor2D,
  c0: tf.Tensor2D,
  save: tf.GradSaveFunc,
) => {
  const [batch, units] = h0.shape;
  const steps = xp.shape[0] / batch;
  const width = 4 * units;
  const host = xp.dataSync() as Float32Array;
  const saved: tf.Tensor[] = [u, h0, c0];
  const hs: tf.Tensor2D[] = [];
  let h = h0;
  let c = c0;
  for (let t = 0; t < steps; t++) {
    const xt = tf.tensor2d(host.subarray(t * batch * width, (t + 1) * batch * width), [batch, width]);
    const z = tf.add(xt, plainProduct(h, u));
    const [si, sf, , so] = tf.split(tf.sigmoid(z), 4, 1) as tf.Tensor2D[];
    const g = tf.tanh(tf.slice(z, [0, 2 * units], [batch, units]));
    const cNext = tf.add(tf.mul(sf!, c), tf.mul(si!, g)) as tf.Tensor2D;
    const tc = tf.tanh(cNext);
    const hNext = tf.mul(so!, tc) as tf.Tensor2D;
    // Per step for the backward pass: the gates, tanh(c), the previous cell state.
    saved.push(si!, sf!, g, so!, tc, c);
    hs.push(hNext);
    h = hNext;
    c = cNext;
  }
  saved.push(...hs);
  save(saved);
  const value = tf.concat([...hs.map((x) => tf.expandDims(x, 0)), tf.expandDims(c, 0)], 0);
  return {
    value,
    gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
      const [su, sh0] = s as [tf.Tensor2D, tf.Tensor2D];
      const n = (s.length - 3) / 7;
      const gate = (t: number, k: number) => s[3 + t * 6 + k] as tf.Tensor2D;
      const out = (t: number) => s[3 + n * 6 + t] as tf.Tensor2D;
      const dHost = dy.dataSync() as Float32Array;
      const area = batch * units;
      const dRow = (t: number) => tf.tensor2d(dHost.subarray(t * area, (t + 1) * area), [batch, units]);
      const uT = tf.transpose(su);
      let dh: tf.Tensor2D = tf.zeros([batch, units]);
      let dc: tf.Tensor2D = dRow(n);
      const dzs: tf.Tensor2D[] = new Array(n);
      for (let t = n - 1; t >= 0; t--) {
        const [i, f, g, o, tc, cPrev] = [0, 1, 2, 3, 4, 5].map((k) => gate(t, k)) as tf.Tensor2D[];
        const dhT = tf.add(dh, dRow(t));
        const dcT = tf.add(dc, tf.mul(tf.mul(dhT, o!), tf.sub(1, tf.square(tc!))));
        const di = tf.mul(tf.mul(dcT, g!), tf.mul(i!, tf.sub(1, i!)));
        const df = tf.mul(tf.mul(dcT, cPrev!), tf.mul(f!, tf.sub(1, f!)));
        const dg = tf.mul(tf.mul(dcT, i!), tf.sub(1, tf.square(g!)));
        const dout = tf.mul(tf.mul(dhT, tc!), tf.mul(o!, tf.sub(1, o!)));
        const dz = tf.concat([di, df, dg, dout], 1) as tf.Tensor2D;
        dzs[t] = dz;
        dh = plainProduct(dz, uT);
        dc = tf.mul(dcT, f!) as tf.Tensor2D;
      }
      const dZ = tf.concat(dzs, 0) as tf.Tensor2D;
      // Each step's recurrent input: h0, then the outputs but the last.
      const hPrev = tf.concat([sh0, ...Array.from({ length: n - 1 }, (_, t) => out(t))], 0) as tf.Tensor2D;
      const dU = plainProduct(tf.transpose(hPrev), dZ);
      return [dZ, dU, dh, dc];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...args: tf.Tensor[]) => tf.Tensor;
