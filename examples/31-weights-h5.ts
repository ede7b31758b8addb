// The guide's "HDF5 格式" weights section: save_weights("weights.h5") / load_weights, and its
// transfer-learning example that loads pretrained weights into the original architecture, then
// extracts the layers into a new Sequential model.
import { ok, strictEqual } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toFloat32 } from "@kerastore/core";
import { keras } from "kerastore";

function createFunctionalModel() {
  const inputs = keras.Input({ shape: [784], name: "digits" });
  let x = new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_1" }).apply(inputs);
  x = new keras.layers.Dense({ units: 64, activation: "relu", name: "dense_2" }).apply(x);
  const outputs = new keras.layers.Dense({ units: 10, name: "predictions" }).apply(x);
  return new keras.Model({ inputs, outputs, name: "3_layer_mlp" });
}

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
    await sequentialModel.saveWeights(join(dir, "weights.h5"));
    const status = await sequentialModel.loadWeights(join(dir, "weights.h5"));
    strictEqual(status.loaded, 6);

    // Transfer learning: load into the original architecture, then extract layers.
    const functionalModel = createFunctionalModel();
    await functionalModel.saveWeights(join(dir, "pretrained_weights.h5"));

    // In a separate program:
    const pretrainedModel = createFunctionalModel();
    await pretrainedModel.loadWeights(join(dir, "pretrained_weights.h5"));
    for (const [i, w] of functionalModel.getWeights().entries()) {
      const loaded = toFloat32(pretrainedModel.getWeights()[i]!);
      ok(
        toFloat32(w).every((v, j) => v === loaded[j]),
        `weight ${i} restored`,
      );
    }

    // Create a new model by extracting layers from the original model:
    const extractedLayers = pretrainedModel.layers.slice(1, -1);
    extractedLayers.push(new keras.layers.Dense({ units: 5, name: "dense_3" }));
    const model = new keras.Sequential({ layers: [keras.Input({ shape: [784] }), ...extractedLayers] });
    const summary = model.summary({ print: () => undefined });
    ok(/dense_3 \(Dense\)/.test(summary), summary);
    ok(/Total params: 54,725/.test(summary), summary);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
