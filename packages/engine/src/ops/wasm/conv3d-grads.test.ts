import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { expect, it } from "vitest";
import { initBackend, registerGradients, registerWasmKernels } from "../../index.js";
// tfjs 4.22's WASM Conv3DBackpropInputV2 / Conv3DBackpropFilterV2 give wrong values (dx off by
// up to 40, dk for strides > 1): the engine replaces them (conv3d-grads.ts). Checked here
// against tfjs-backend-cpu's gradients of the same convolutions.
it("Conv3D's gradients on WASM equal tfjs-backend-cpu's", async () => {
  await initBackend();
  await registerGradients();
  registerWasmKernels();
  const cases: [number[], number[], number, "same" | "valid"][] = [
    [[2, 5, 5, 5, 2], [3, 3, 3, 2, 4], 2, "same"],
    [[2, 5, 5, 5, 2], [3, 3, 3, 2, 4], 1, "valid"],
    [[2, 5, 5, 5, 2], [2, 2, 3, 2, 4], 1, "valid"],
    [[2, 3, 3, 3, 4], [2, 2, 3, 4, 3], 1, "valid"],
    [[2, 6, 5, 7, 2], [3, 2, 3, 2, 3], 2, "valid"],
    [[1, 6, 5, 7, 2], [3, 2, 3, 2, 3], 3, "same"],
  ];
  for (const [xs, ks, s, pad] of cases) {
    const res: Record<string, number[][]> = {};
    for (const backend of ["wasm", "cpu"]) {
      await tf.setBackend(backend);
      const x = tf.randomUniform(xs, -1, 1, "float32", 1);
      const k = tf.randomUniform(ks, -1, 1, "float32", 2);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, s, pad)));
      const [gx, gk] = tf.grads(f)([x, k]);
      res[backend] = [
        Array.from(gx!.dataSync()),
        Array.from(gk!.dataSync()),
        Array.from(tf.conv3d(x as tf.Tensor5D, k as tf.Tensor5D, s, pad).dataSync()),
      ];
    }
    const d = (i: number) => Math.max(...res.wasm![i]!.map((v, j) => Math.abs(v - res.cpu![i]![j]!)));
    expect({ at: [xs, ks, s, pad], dx: d(0) < 1e-4, dk: d(1) < 1e-4, forward: d(2) < 1e-5 }).toEqual({
      at: [xs, ks, s, pad],
      dx: true,
      dk: true,
      forward: true,
    });
  }
  await tf.setBackend("wasm");
});
