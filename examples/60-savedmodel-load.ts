// The guide's "仅加载 TensorFlow 计算图" snippet: a SavedModel written by Python loaded as a plain
// callable graph, with no custom objects and no Keras model rebuilt:
//
//   tensorflow_graph = tf.saved_model.load("my_model")
//   predicted = tensorflow_graph(x).numpy()
//
// Keras 3 writes such a graph with model.export("my_model"); its callable endpoint is `serve`
// (and the `serving_default` signature). The SavedModel here is the committed fixture
// packages/fixtures/data/savedmodel/keras_export (Dense(8, relu) -> Dense(3, softmax) on 6
// features), with the input and output Python recorded beside it.
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type HostTensor, readNpy, toFloat32 } from "@kerastore/core";
import { keras } from "kerastore";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "../packages/fixtures/data/savedmodel/keras_export");

function assertClose(actual: HostTensor, expected: HostTensor): void {
  deepStrictEqual(actual.shape, expected.shape);
  const a = toFloat32(actual);
  const e = toFloat32(expected);
  for (let i = 0; i < e.length; i++) ok(Math.abs(a[i]! - e[i]!) <= 1e-5, `element ${i}: ${a[i]} vs ${e[i]}`);
}

export async function main(): Promise<void> {
  const tensorflowGraph = await keras.savedModel.load(join(fixture, "saved_model"));
  const x = readNpy(readFileSync(join(fixture, "input0.npy")));
  const expected = readNpy(readFileSync(join(fixture, "output0.npy")));

  // predicted = tensorflow_graph.serve(x)
  const predicted = (await tensorflowGraph.functions["serve"]!(x)) as HostTensor;
  assertClose(predicted, expected);
  deepStrictEqual(predicted.shape, [4, 3]);
  // Softmax rows sum to one.
  const p = toFloat32(predicted);
  for (let r = 0; r < 4; r++) ok(Math.abs(p[r * 3]! + p[r * 3 + 1]! + p[r * 3 + 2]! - 1) < 1e-5);

  // The same graph through the serving signature, by input name.
  const { output_0 } = await tensorflowGraph.signatures["serving_default"]!({ features: x });
  assertClose(output_0!, expected);

  // What it is not: a Keras model. It has functions and variables, no predict() or fit().
  deepStrictEqual(Object.keys(tensorflowGraph.functions), ["serve"]);
  strictEqual("predict" in tensorflowGraph, false);
  deepStrictEqual(
    tensorflowGraph.variables.map((v) => [v.name, v.shape]),
    [
      ["hidden/kernel", [6, 8]],
      ["hidden/bias", [8]],
      ["probs/kernel", [8, 3]],
      ["probs/bias", [3]],
    ],
  );
  tensorflowGraph.dispose();
}
