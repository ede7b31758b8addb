import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { composite, type TensorInfo } from "./composite.js";
import { smallFilterGrad, smallFilterGradApplies } from "./conv-filter-grad-small.js";
import { filterGradCase } from "./filter-grad-reference.test-util.js";
import { registerWasmKernels } from "./index.js";

// The few-input-channel filter gradient (./conv-filter-grad-small.ts) against the definition
// summed in float64 (dW[i, j, c, o] = sum over images and output positions of the input value
// tap (i, j) reads times the output gradient), and through the registered Conv2DBackpropFilter
// kernel; over channels 1 to 4, output channels by 16s and by 4s, strides, paddings, odd sizes.

type Case = [h: number, w: number, ci: number, co: number, k: [number, number], stride: number, pad: "same" | "valid"];
const CASES: Case[] = [
  [28, 28, 1, 32, [3, 3], 1, "same"],
  [9, 7, 3, 20, [3, 3], 2, "same"],
  [8, 11, 2, 4, [5, 3], 1, "valid"],
  [10, 9, 4, 36, [2, 2], 3, "valid"],
  [6, 6, 1, 8, [1, 1], 1, "same"],
  [7, 8, 3, 16, [4, 4], 2, "same"],
];

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 1.5);
}

describe("Conv2D's filter gradient for few input channels (SIMD loop)", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
  });

  for (const [h, w, ci, co, k, s, pad] of CASES) {
    it(`equals the definition: ${h}x${w}x${ci} -> ${co}, filter ${k}, stride ${s} ${pad}`, () => {
      const b = 3;
      const info = tf.backend_util.computeConv2DInfo([b, h, w, ci], [k[0], k[1], ci, co], s, 1, pad);
      const { want, scale, x, dy } = filterGradCase(info, values);
      const inputs = { x: x as unknown as TensorInfo, dy: dy as unknown as TensorInfo };
      const backend = tf.backend() as never;
      const direct = composite(backend, inputs, (scope) => {
        expect(smallFilterGradApplies(scope, info)).toBe(true);
        return smallFilterGrad(scope, inputs.x, inputs.dy, info);
      });
      const viaKernel = tf.engine().runKernel(
        "Conv2DBackpropFilter",
        { x, dy } as never,
        {
          strides: s,
          pad,
          dataFormat: "NHWC",
          filterShape: [k[0], k[1], ci, co],
        } as never,
      ) as tf.Tensor;
      for (const got of [
        tf
          .engine()
          .makeTensorFromTensorInfo(direct as never)
          .dataSync(),
        viaKernel.dataSync(),
      ]) {
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(got[i]! - want[i]!), `value ${i}`).toBeLessThan(2e-6 * scale);
      }
      tf.dispose([x, dy, viaKernel]);
    });
  }

  it("is not taken for more input channels, output channels not by 4s, or dilation", () => {
    const kept = composite(tf.backend() as never, {}, (scope) => {
      const at = (ci: number, co: number, d = 1) =>
        smallFilterGradApplies(scope, tf.backend_util.computeConv2DInfo([1, 8, 8, ci], [3, 3, ci, co], 1, d, "same"));
      expect([at(5, 8), at(3, 6), at(2, 8, 2), at(4, 8)]).toEqual([false, false, false, true]);
      return scope.output([1]);
    });
    tf.backend().disposeData(kept.dataId);
  });
});
