// docs/tflite.md: a model saved as TensorFlow Lite (`model.save("m.tflite")`), as float32 and
// with float16 weights, then read back and run in Kerastore's own interpreter, which predicts
// what the Keras model predicts (batch size fixed to 1 by default, as Python's converter fixes it).
import { deepStrictEqual, ok } from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { Conv2D, MaxPooling2D } from "@kerastore/engine";
import { builtinOperatorName, readTflite } from "@kerastore/tflite";
import { createTfliteRunner } from "@kerastore/tflite-lowering";
import { keras } from "kerastore";
import { assertAllClose, random } from "./support.js";

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const inputs = keras.Input({ shape: [28, 28, 1], name: "image" });
    let x = new Conv2D({ filters: 8, kernelSize: 3, activation: "relu" }).apply(inputs);
    x = new MaxPooling2D({ poolSize: 2 }).apply(x);
    x = new keras.layers.Flatten().apply(x);
    x = new keras.layers.Dropout({ rate: 0.5 }).apply(x);
    const outputs = new keras.layers.Dense({ units: 10, activation: "softmax" }).apply(x);
    const model = new keras.Model({ inputs, outputs });

    // The whole model as a .tflite file; float16 weights are half the size.
    await model.save(join(dir, "model.tflite"));
    await model.save(join(dir, "model_fp16.tflite"), { settings: { quantize: "float16" } });
    ok((await stat(join(dir, "model_fp16.tflite"))).size < (await stat(join(dir, "model.tflite"))).size * 0.6);

    // Read it back: the graph (CONV_2D with relu fused, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED,
    // SOFTMAX; Dropout is gone) and its weights, and run it.
    const tflite = readTflite(await readFile(join(dir, "model.tflite")));
    const graph = tflite.subgraphs[0]!;
    const ops = graph.operators.map((op) => builtinOperatorName(tflite.operatorCodes[op.opcodeIndex]!.builtinCode));
    deepStrictEqual(ops, ["CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"]);
    const runner = createTfliteRunner(tflite);
    const image = random([1, 28, 28, 1], 1);
    const [probabilities] = runner.predict([image]);
    assertAllClose(probabilities!, model.predict(image) as HostTensor, 1e-5);
    runner.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
