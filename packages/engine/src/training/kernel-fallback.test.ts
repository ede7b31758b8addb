import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import { installWasmFallbacks, registerGradients, wasmFallbackUses } from "../index.js";

// Gradients of conv2d (filter), depthwise conv2d and gather (embedding), which need kernels the
// WASM backend of tfjs lacks, computed on WASM (with the kernels of ops/wasm) against the CPU
// backend; the CPU fallback is left for the kernels no layer uses.

function grads(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(
      Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)),
      [2, 5, 5, 3],
    );
    const filter = tf.tensor4d(
      Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i) / 4),
      [3, 3, 3, 4],
    );
    const depth = tf.tensor4d(
      Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => Math.cos(i * 0.7) / 3),
      [3, 3, 3, 2],
    );
    const table = tf.tensor2d(
      Array.from({ length: 10 * 4 }, (_, i) => i / 40),
      [10, 4],
    );
    const ids = tf.tensor1d([1, 3, 3, 9], "int32");
    const g = tf.grads((f: tf.Tensor, d: tf.Tensor, e: tf.Tensor, input: tf.Tensor) =>
      tf.addN([
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, f as tf.Tensor4D, 1, "same"))),
        tf.sum(tf.square(tf.depthwiseConv2d(input as tf.Tensor4D, d as tf.Tensor4D, 1, "valid"))),
        tf.sum(tf.square(tf.gather(e, ids))),
      ]),
    )([filter, depth, table, x]);
    return g.map((t) => t.dataSync() as Float32Array);
  });
}

describe("per-kernel CPU fallback on the WASM backend", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
  });

  it("lists the kernels WASM lacks and computes their gradients like the CPU backend", async () => {
    // The backend starts with ops/wasm's kernels (no fit, no CPU fallback yet): stock
    // tfjs-backend-wasm has none of these, so the gradients would fail without them.
    for (const k of ["Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropFilter", "UnsortedSegmentSum"]) {
      expect(tf.getKernel(k, "wasm"), k).toBeDefined();
    }
    expect(() => grads()).not.toThrow();
    const fallbacks = await installWasmFallbacks();
    for (const k of [
      "Conv2DBackpropFilter",
      "DepthwiseConv2dNativeBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
      "UnsortedSegmentSum",
      "MaxPoolGrad",
    ]) {
      expect(fallbacks).not.toContain(k);
      expect(tf.getKernel(k, "wasm")).toBeDefined();
    }
    // Kernels no layer needs still fall back (Einsum, FFT, ...).
    expect(fallbacks).toContain("Einsum");
    expect(fallbacks).not.toContain("MatMul");
    expect(tf.getBackend()).toBe("wasm");
    const before = new Map(wasmFallbackUses());
    const onWasm = grads();
    expect(new Map(wasmFallbackUses())).toEqual(before);
    await initBackend({ backend: "cpu" });
    const onCpu = grads();
    await initBackend({ backend: "wasm" });
    for (const [i, c] of onCpu.entries()) {
      const w = onWasm[i]!;
      expect(w.length).toBe(c.length);
      let worst = 0;
      for (let k = 0; k < c.length; k++) worst = Math.max(worst, Math.abs(w[k]! - c[k]!) / (Math.abs(c[k]!) + 1e-3));
      expect(worst, `gradient ${i}`).toBeLessThan(1e-4);
    }
    // Embedding rows used twice get twice the gradient; unused rows none.
    expect(Array.from(onWasm[2]!.slice(0, 4))).toEqual([0, 0, 0, 0]);
  });
});
