import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerWasmKernels } from "./index.js";
import { simdMaxPoolGrad } from "./max-pool-grad-simd.js";
import { maxPoolGradBy } from "./pool-grads.js";

// The SIMD MaxPoolGrad loop (./max-pool-grad-simd.ts) against the JavaScript loop it replaces
// (bit for bit) and against tfjs-backend-cpu's MaxPoolGrad (the first maximum of a window, as
// TensorFlow), on windows apart: stride = pool, stride > pool, sizes the windows do not cover,
// ties (rounded values, all-zero images as after a ReLU), NaN and signed zeros.

type Case = [h: number, w: number, c: number, pool: [number, number], stride: [number, number]];
const CASES: Case[] = [
  [28, 28, 32, [2, 2], [2, 2]],
  [7, 7, 8, [2, 2], [2, 2]],
  [9, 8, 4, [3, 2], [3, 2]],
  [10, 11, 12, [2, 3], [3, 4]],
  [6, 6, 4, [1, 1], [2, 2]],
];

type Kind = "plain" | "ties" | "nan";

function inputOf([h, w, c]: Case, kind: Kind): Float32Array {
  const ties = kind === "ties";
  const n = 2 * h * w * c;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.sin(i * 1.3 + 1) * 2;
    // The first image all zero, the second rounded and clipped at 0 (many equal maxima).
    x[i] = ties ? (i < n / 2 ? 0 : Math.max(0, Math.round(v))) : v;
  }
  if (kind === "nan") {
    x[5] = Number.NaN;
    x[c + 6] = Number.NaN;
  }
  return x;
}

function grad(c: Case, kind: Kind, how: "simd" | "loop" | "kernel"): Float32Array {
  const [h, w, ch, pool, stride] = c;
  return tf
    .tidy(() => {
      const input = tf.tensor4d(inputOf(c, kind), [2, h, w, ch]);
      const output = tf.maxPool(input, pool, stride, "valid");
      const g = Array.from({ length: output.size }, (_, i) => (i % 7 === 3 ? -0 : Math.cos(i * 0.7) * 3));
      const dy = tf.tensor(g, output.shape);
      const attrs = { filterSize: pool, strides: stride, pad: "valid" as const };
      if (how === "kernel")
        return tf.engine().runKernel("MaxPoolGrad", { dy, input, output }, attrs as never) as tf.Tensor;
      const backend = tf.backend();
      const info = maxPoolGradBy(
        { inputs: { dy, input, output } as never, attrs, backend: backend as never },
        how === "simd",
      ) as unknown as { dataId: object; shape: number[]; dtype: "float32" };
      return tf.engine().makeTensorFromTensorInfo(info);
    })
    .dataSync() as Float32Array;
}

describe("MaxPoolGrad as a WebAssembly SIMD loop", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
  });

  it("runs here (WebAssembly SIMD on the backend's memory)", () => {
    expect(simdMaxPoolGrad(tf.backend())).not.toBeNull();
  });

  for (const c of CASES) {
    for (const kind of ["plain", "ties", "nan"] as const) {
      it(`equals the JavaScript loop bit for bit: ${c[0]}x${c[1]}x${c[2]} pool ${c[3]} stride ${c[4]}, ${kind}`, () => {
        const simd = grad(c, kind, "simd");
        const loop = grad(c, kind, "loop");
        expect(new Uint32Array(simd.buffer)).toEqual(new Uint32Array(loop.buffer));
        // Not vacuous: every window routes its gradient somewhere.
        expect(simd.some((v) => v !== 0)).toBe(true);
      });
    }
  }

  it("equals tfjs-backend-cpu's MaxPoolGrad (the first maximum of each window)", async () => {
    const kinds = ["plain", "ties"] as const;
    const onWasm = CASES.flatMap((c) => kinds.map((k) => grad(c, k, "kernel")));
    await initBackend({ backend: "cpu" });
    try {
      const onCpu = CASES.flatMap((c) => kinds.map((k) => grad(c, k, "kernel")));
      for (const [i, v] of onWasm.entries()) expect(Array.from(v)).toEqual(Array.from(onCpu[i]!));
    } finally {
      await initBackend({ backend: "wasm" });
    }
  });
});
