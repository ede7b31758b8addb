// The same job with @tensorflow/tfjs, for the size comparison in docs/benchmarks.md: the WASM
// backend, a Keras model loaded by URL (tfjs needs its own model.json conversion first: it reads
// no .keras or .h5), one prediction.
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

export async function run(modelUrl: string, x: number[], shape: number[]): Promise<number[]> {
  setWasmPaths("/wasm/");
  await tf.setBackend("wasm");
  const model = await tf.loadLayersModel(modelUrl);
  const y = model.predict(tf.tensor(x, shape)) as tf.Tensor;
  return Array.from(await y.data());
}
