import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { embeddingLookup } from "./embedding-lookup.js";
import { registerGradients } from "./gradients.js";
import { registerWasmKernels } from "./wasm/index.js";

// The Embedding lookup on WASM: row copies of its own kernel (before the training kernels are registered),
// the values of tf.gather and, as the gradient, the per-row sum of the occurrences.

describe("embeddingLookup on WASM", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
  });

  it("copies rows with its own kernel: tf.gather's values, the summed gradient", async () => {
    expect(tf.getBackend()).toBe("wasm");
    const table = tf.tensor2d(
      Array.from({ length: 7 * 3 }, (_, i) => Math.sin(i * 0.9)),
      [7, 3],
    );
    const ids = tf.tensor2d([6, 0, 2, 2, 5, 6], [2, 3], "int32");
    const info = await tf.profile(() => tf.dispose(embeddingLookup(table, ids)));
    expect(info.kernels.map((k) => k.name)).toContain("KerastoreGatherRows");
    expect(info.kernels.map((k) => k.name)).not.toContain("GatherV2");
    const out = embeddingLookup(table, ids);
    const ref = tf.gather(table, ids);
    expect(out.shape).toEqual([2, 3, 3]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(ref.dataSync()));
    const weights = tf.tensor3d(
      Array.from({ length: 18 }, (_, i) => i - 4),
      [2, 3, 3],
    );
    // The gradient's UnsortedSegmentSum is one of the training kernels.
    registerWasmKernels();
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t, ids), weights)))(table);
    const expected = tf.unsortedSegmentSum(tf.reshape(weights, [6, 3]), tf.reshape(ids, [6]) as tf.Tensor1D, 7);
    expect(Array.from(g.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([table, ids, out, ref, weights, g, expected]);
  });
});
