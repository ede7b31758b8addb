// Run by threads.test.ts in a child process: sets up the WASM backend with the thread count of
// argv[2], trains a small model holding a convolution, batch normalization, pooling, an LSTM and
// Dense layers (two computed transposed) for a few Adam steps from fixed weights and data, and
// prints the threads that ran and every weight after training (JSON on stdout).
import {
  Input,
  Model,
  clearSession,
  deserializeLayer,
  initBackend,
  registerGradients,
  tf,
  wasmThreading,
} from "../node.js";
import type { KerasTensor } from "../index.js";

const threads = Number(process.argv[2]);
await initBackend({ threads });
await registerGradients();
clearSession();
const L = (class_name: string, config: Record<string, unknown>) =>
  deserializeLayer({ class_name, config } as never, {});
const input = Input({ shape: [12, 12, 3] });
let h = L("Conv2D", { filters: 8, kernel_size: 3, activation: "relu", padding: "same" }).apply(input) as KerasTensor;
h = L("BatchNormalization", {}).apply(h) as KerasTensor;
h = L("MaxPooling2D", { pool_size: 2 }).apply(h) as KerasTensor;
h = L("Conv2D", { filters: 16, kernel_size: 3, activation: "relu" }).apply(h) as KerasTensor;
h = L("Reshape", { target_shape: [16, 16] }).apply(h) as KerasTensor;
h = L("LSTM", { units: 12 }).apply(h) as KerasTensor;
h = L("Dense", { units: 32, activation: "relu" }).apply(h) as KerasTensor;
// Wider than the batch: these two train transposed (ops/dense.ts), the second's input gradient too.
h = L("Dense", { units: 64, activation: "relu" }).apply(h) as KerasTensor;
h = L("Dense", { units: 48, activation: "relu" }).apply(h) as KerasTensor;
const out = L("Dense", { units: 5, activation: "softmax" }).apply(h) as KerasTensor;
const model = new Model({ inputs: input, outputs: out });
// Fixed weights: a smooth function of each value's index, small enough to keep units alive.
for (const layer of model.layers) {
  const values = layer.getWeights().map((w, k) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const isVariance = layer.weights[k]!.name.includes("variance");
    return Float32Array.from({ length: n }, (_, i) => (isVariance ? 1 : 0.3 * Math.sin(0.7 * i + k + 1)));
  });
  if (values.length > 0) layer.setWeights(values);
}
const n = 64;
const x = tf.tensor(
  Float32Array.from({ length: n * 12 * 12 * 3 }, (_, i) => Math.cos(0.013 * i * i) * 0.5 + 0.5),
  [n, 12, 12, 3],
);
const y = tf.cast(
  tf.oneHot(
    tf.tensor1d(
      Array.from({ length: n }, (_, i) => (i * 7) % 5),
      "int32",
    ),
    5,
  ),
  "float32",
);
model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
const history = await model.fit(x, y, { batchSize: 32, epochs: 2, shuffle: false, verbose: 0 });
const weights = model.weights.map((v) => ({ path: v.path, values: Array.from(v.read().data as Float32Array) }));
const predicted = model.predict(x, { batchSize: 32 }) as { data: Float32Array };
console.log(
  JSON.stringify({
    threading: wasmThreading(),
    loss: history.history.loss,
    weights,
    predicted: Array.from(predicted.data),
  }),
);
