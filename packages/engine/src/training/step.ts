import * as tf from "@tensorflow/tfjs-core";
import { onlyVariableGradients } from "../ops/dense.js";
import { recordSparseGradients } from "../ops/embedding-lookup.js";
import { assertGradients } from "../ops/gradients.js";
import type { Compiled } from "./compile.js";
import type { TrainTarget } from "./trainable.js";

/**
 * One training step (Keras's `train_step`): forward in training mode, loss, gradients of the
 * trainable variables, optimizer update, loss tracker and metrics. Returns the batch loss.
 */
export function trainStep(
  target: TrainTarget,
  compiled: Compiled,
  xs: readonly tf.Tensor[],
  ys: readonly tf.Tensor[],
  sampleWeight: tf.Tensor | null,
): number {
  assertGradients();
  const variables = target.trainableVariables;
  const tfVars = variables.map((v) => v.value);
  let outs: tf.Tensor[] = [];
  let perOutput: (tf.Scalar | null)[] = [];
  const { result, sparse } = recordSparseGradients(() =>
    onlyVariableGradients(() =>
      tf.variableGrads(() => {
        const o = target.forward(xs, true);
        const { total, perOutput: po } = compiled.totalLoss(ys, o, sampleWeight, target.extraLosses?.() ?? []);
        outs = o.map((t) => tf.keep(t));
        perOutput = po.map((t) => (t === null ? null : tf.keep(t)));
        return total;
      }, tfVars),
    ),
  );
  const { value, grads } = result;
  try {
    const list = tfVars.map((v) => grads[v.name] ?? tf.zerosLike(v));
    compiled.optimizer.applyGradients(list, variables, sparse);
    const n = xs[0]!.shape[0]!;
    const loss = value.dataSync()[0]!;
    compiled.lossTracker.add(loss, n);
    perOutput.forEach((t, i) => {
      if (t !== null) compiled.outputLossTrackers[i]?.add(t.dataSync()[0]!, n);
    });
    compiled.updateMetrics(ys, outs, sampleWeight);
    return loss;
  } finally {
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    for (const t of outs) t.dispose();
    for (const t of perOutput) t?.dispose();
    for (const r of sparse.values()) tf.dispose([r.ids, r.values]);
  }
}

/** One evaluation step (Keras's `test_step`): forward in inference mode, loss and metrics. */
export function testStep(
  target: TrainTarget,
  compiled: Compiled,
  xs: readonly tf.Tensor[],
  ys: readonly tf.Tensor[],
  sampleWeight: tf.Tensor | null,
): number {
  const outs = target.forward(xs, false);
  try {
    const n = xs[0]!.shape[0]!;
    const loss = tf.tidy(() => {
      const { total, perOutput } = compiled.totalLoss(ys, outs, sampleWeight, target.extraLosses?.() ?? []);
      perOutput.forEach((t, i) => {
        if (t !== null) compiled.outputLossTrackers[i]?.add(t.dataSync()[0]!, n);
      });
      return total.dataSync()[0]!;
    });
    compiled.lossTracker.add(loss, n);
    compiled.updateMetrics(ys, outs, sampleWeight);
    return loss;
  } finally {
    for (const t of outs) t.dispose();
  }
}
