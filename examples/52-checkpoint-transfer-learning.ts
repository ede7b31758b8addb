// The guide's "迁移学习示例" for TF checkpoints. 1: a functional model's pretrained part is saved,
// and its checkpoint loads into a new model with another output layer (the layers it lacks keep
// their values; assert_consumed fails because those are unbound, as TensorFlow reports it).
// 2: the nested-Sequential pitfall: load into the pretrained model itself, not the outer model.
import { deepStrictEqual, notDeepStrictEqual, rejects, strictEqual, throws } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, toFloat32 } from "@kerastore/core";
import { type Model, summary } from "@kerastore/engine";
import { keras } from "kerastore";

function mlp(predictions: number | undefined, name: string) {
  const inputs = keras.Input({ shape: [784], name: "digits" });
  let x = new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_1" }).apply(inputs);
  x = new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_2" }).apply(x);
  const outputs =
    predictions === undefined ? x : new keras.layers.Dense({ units: predictions, name: "predictions" }).apply(x);
  return { model: new keras.Model({ inputs, outputs, name }), inputs, hidden: x };
}

/** The "Total params" count summary() prints, as the guide's summaries show it. */
const totalParams = (m: Model) => /Total params: ([\d,]+)/.exec(summary(m))?.[1];

const values = (m: { getWeights(): HostTensor[] }) => m.getWeights().map((t) => Array.from(toFloat32(t)));

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const functional = mlp(10, "3_layer_mlp");
    // Extract a portion of the functional model: everything but the output layer.
    const pretrained = new keras.Model({
      inputs: functional.inputs,
      outputs: functional.hidden,
      name: "pretrained_model",
    });
    // Randomly assign "trained" weights.
    for (const w of pretrained.weights)
      w.assign(Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, () => Math.random() * 2 - 1));
    await pretrained.saveWeights(join(dir, "pretrained_ckpt"));
    strictEqual(totalParams(pretrained), "54,400");

    // A separate program where only 'pretrained_ckpt' exists: a new model with 5 outputs.
    const model = mlp(5, "new_model").model;
    const { status } = await model.loadWeights(join(dir, "pretrained_ckpt"));
    // Check that all of the pretrained weights have been loaded.
    deepStrictEqual(values(model).slice(0, 4), values(pretrained));
    // The new predictions layer is not in the checkpoint: not consumed, as in TensorFlow.
    throws(() => status!.assertConsumed(), /layer_with_weights-2\/kernel/);
    status!.assertNontrivialMatch();

    // Example 2: Sequential model. Recreate the pretrained model and load the saved weights.
    const pretrainedModel = mlp(undefined, "pretrained").model;
    const predictions = new keras.layers.Dense({ units: 5, name: "predictions" });
    const sequential = new keras.Sequential({ layers: [pretrainedModel, predictions] });
    predictions.build([null, 64]);
    strictEqual(totalParams(sequential), "54,725");

    // Warning! model.loadWeights('pretrained_ckpt') on the outer model does not load into the
    // pretrained model: its edges bind the checkpoint's dense layers to the wrong objects.
    // TensorFlow's restore then fails on predictions' shape, and so does this one.
    const before = values(sequential);
    await rejects(sequential.loadWeights(join(dir, "pretrained_ckpt")), /\[64, 64\]/);
    deepStrictEqual(values(sequential), before);
    notDeepStrictEqual(values(pretrainedModel), values(pretrained));
    // pretrainedModel.loadWeights() is the correct method to call.
    (await pretrainedModel.loadWeights(join(dir, "pretrained_ckpt"))).status!.assertConsumed();
    deepStrictEqual(values(pretrainedModel), values(pretrained));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
