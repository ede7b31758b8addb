import { tf } from "@kerastore/engine";
import type { KernelCall } from "./tflite-kernels.js";

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM as Python's converter writes it for a Keras LSTM: inputs 1-4 the
 * input weights of gates i, f, c, o (`[units, in]`), 5-8 the recurrent weights, 12-15 the
 * biases, 18 and 19 the output and cell states (variables, zero at the start); no peepholes,
 * projection or layer norm. Gates use sigmoid, the cell the op's fused activation (tanh).
 */
export function sequenceLstm(call: KernelCall): tf.Tensor[] {
  const at = (i: number) => call.inputs[i];
  for (const i of [9, 10, 11, 16, 17, 20, 21, 22, 23]) if (at(i) !== undefined) call.fail(`input ${i} (peepholes, projection or layer norm) is not supported`);
  const x = at(0);
  if (x === undefined) return call.fail("it has no input");
  const options = call.options as Record<string, unknown> | undefined;
  const timeMajor = options?.timeMajor === true;
  const seq = timeMajor ? x : tf.transpose(x, [1, 0, 2]);
  const w = [1, 2, 3, 4].map((i) => at(i)!) as tf.Tensor2D[];
  const r = [5, 6, 7, 8].map((i) => at(i)!) as tf.Tensor2D[];
  const b = [12, 13, 14, 15].map((i) => at(i));
  if (w.some((t) => t === undefined) || r.some((t) => t === undefined)) call.fail("it lacks gate weights");
  const act = options?.fusedActivationFunction === 1 ? tf.relu : options?.fusedActivationFunction === 3 ? tf.relu6 : tf.tanh;
  const steps = tf.unstack(seq, 0) as tf.Tensor2D[];
  let h: tf.Tensor2D = (at(18) as tf.Tensor2D | undefined) ?? tf.zeros([steps[0]!.shape[0], r[0]!.shape[1]]);
  let c: tf.Tensor2D = (at(19) as tf.Tensor2D | undefined) ?? tf.zeros(h.shape);
  const outs: tf.Tensor2D[] = [];
  for (const xt of steps) {
    const gate = (k: number) => {
      const z = tf.add(tf.matMul(xt, w[k]!, false, true), tf.matMul(h, r[k]!, false, true));
      return b[k] === undefined ? z : tf.add(z, b[k]!);
    };
    const i = tf.sigmoid(gate(0));
    const f = tf.sigmoid(gate(1));
    const g = act(gate(2));
    const o = tf.sigmoid(gate(3));
    c = tf.add(tf.mul(f, c), tf.mul(i, g)) as tf.Tensor2D;
    h = tf.mul(o, act(c)) as tf.Tensor2D;
    outs.push(h);
  }
  const stacked = tf.stack(outs, 0);
  return [timeMajor ? stacked : tf.transpose(stacked, [1, 0, 2])];
}
