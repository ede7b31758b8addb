// docs/reliability.md: freeing a loaded model (`dispose()`, or `using`), the weight budget that
// refuses a config's lying sizes before allocating, and a multi-file save committed as a set.
import { deepStrictEqual, match, rejects, strictEqual } from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, hostTensor } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import { keras } from "kerastore";

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const model = new keras.Sequential({
      layers: [keras.Input({ shape: [8] }), new keras.layers.Dense({ units: 4, name: "dense" })],
    });
    await model.save(join(dir, "model.keras"));

    // `using` frees the model's weights at the end of the block (or call model.dispose()).
    const before = tf.memory().numTensors;
    {
      using loaded = await keras.models.loadModel(join(dir, "model.keras"));
      strictEqual((loaded.predict(hostTensor("float32", [1, 8], new Float32Array(8))) as HostTensor).shape[1], 4);
    }
    strictEqual(tf.memory().numTensors, before);

    // A config alone may ask for 64 MiB of weights by default; more needs a raised budget.
    const json = JSON.parse(model.toJson());
    json.config.layers[1].config.units = 100_000_000;
    await writeFile(join(dir, "huge.json"), JSON.stringify(json));
    await rejects(keras.models.loadModel(join(dir, "huge.json")), (e: Error) => {
      match(e.message, /weight "kernel" of layer "dense".*\(8, 100000000\).*budget/);
      return true;
    });

    // A TF checkpoint's files change as one set; nothing staged is left behind.
    await model.saveWeights(join(dir, "ckpt", "weights"));
    await model.saveWeights(join(dir, "ckpt", "weights"));
    deepStrictEqual(await readdir(join(dir, "ckpt")), ["checkpoint", "weights.data-00000-of-00001", "weights.index"]);
    model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
