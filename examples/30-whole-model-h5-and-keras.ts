// The guide's "保存和加载整个模型" section: get_model(), save the whole model, load it back, and
// check that the reconstructed model predicts the same. The guide's own H5 snippet
// (`model.save("my_h5_model.h5")`) and today's default, the Keras 3 `.keras` archive.
import { ok } from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { keras } from "kerastore";
import { assertAllClose, random } from "./support.js";

function getModel() {
  // Create a simple model.
  const inputs = keras.Input({ shape: [32] });
  const outputs = new keras.layers.Dense({ units: 1 }).apply(inputs);
  return new keras.Model({ inputs, outputs });
}

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const model = getModel();
    const testInput = random([128, 32], 1);

    // Calling `save('my_h5_model.h5')` creates a single HDF5 file.
    await model.save(join(dir, "my_h5_model.h5"));
    const fromH5 = await keras.models.loadModel(join(dir, "my_h5_model.h5"));
    assertAllClose(model.predict(testInput) as HostTensor, fromH5.predict(testInput) as HostTensor);

    // Keras 3's default: the .keras archive.
    await model.save(join(dir, "my_model.keras"));
    const fromKeras = await keras.models.loadModel(join(dir, "my_model.keras"));
    assertAllClose(model.predict(testInput) as HostTensor, fromKeras.predict(testInput) as HostTensor);

    ok((await readdir(dir)).sort().join(",") === "my_h5_model.h5,my_model.keras", "only the two files were written");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
