// The guide's "TF 检查点格式" section: save_weights("ckpt") writes a TensorFlow checkpoint (the
// default for a path without .h5), load_weights returns a status, and assert_consumed checks that
// every value was restored. The keys are the ones tf.keras 2 writes (layer_with_weights-N/kernel).
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "@kerastore/checkpoint";
import { NodeStore } from "@kerastore/core/node";
import { keras } from "kerastore";

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    // Runnable example
    const sequentialModel = new keras.Sequential({
      layers: [
        keras.Input({ shape: [784], name: "digits" }),
        new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_1" }),
        new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_2" }),
        new keras.layers.Dense({ units: 10, name: "predictions" }),
      ],
    });
    await sequentialModel.saveWeights(join(dir, "ckpt"));
    const loadStatus = await sequentialModel.loadWeights(join(dir, "ckpt"));

    // `assertConsumed` can be used as validation that all variable values have been restored
    // from the checkpoint.
    loadStatus.status!.assertConsumed();
    strictEqual(loadStatus.loaded, 6);

    const reader = await loadCheckpoint(new NodeStore(dir), "ckpt");
    deepStrictEqual(
      reader.listVariables().map(([key]) => key),
      [
        "_CHECKPOINTABLE_OBJECT_GRAPH",
        "layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE",
        "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE",
        "layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE",
        "layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
        "layer_with_weights-2/bias/.ATTRIBUTES/VARIABLE_VALUE",
        "layer_with_weights-2/kernel/.ATTRIBUTES/VARIABLE_VALUE",
      ],
    );
    // Like Keras, the directory's `checkpoint` file names it, so latest_checkpoint finds it.
    strictEqual(
      await readFile(join(dir, "checkpoint"), "utf8"),
      'model_checkpoint_path: "ckpt"\nall_model_checkpoint_paths: "ckpt"\n',
    );
    strictEqual(await keras.train.latestCheckpoint(dir), join(dir, "ckpt"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
