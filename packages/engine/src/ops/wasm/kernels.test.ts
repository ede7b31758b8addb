import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { installWasmFallbacks, isWasmFallback } from "../kernel-fallback.js";
import { wasmCompositeKernels } from "./index.js";

// Each kernel built from WASM kernels (ops/wasm) against tfjs-backend-cpu's kernel of the same
// name on the same inputs, over strides, paddings, dilations, odd sizes and ties.

type Inputs = Record<string, { shape: number[]; dtype?: "float32" | "int32"; values?: number[] }>;
interface Case {
  kernel: string;
  name: string;
  inputs: Inputs;
  attrs: Record<string, unknown>;
}

function values(shape: number[], seed: number): number[] {
  const n = shape.reduce((a, d) => a * d, 1);
  return Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + seed) * 2);
}

const cases: Case[] = [];
for (const [h, w, kh, kw, s, pad] of [
  [5, 5, 3, 3, 1, "same"],
  [7, 6, 3, 2, 2, "valid"],
  [8, 8, 3, 3, 2, "same"],
  [9, 7, 1, 1, 3, "valid"],
  [6, 6, 5, 5, 1, "valid"],
] as const) {
  const ci = 3;
  const co = 4;
  const info = tf.backend_util.computeConv2DInfo([2, h, w, ci], [kh, kw, ci, co], s, 1, pad);
  // More channels: the filter gradient as one convolution where its map is small, as a
  // product (./conv-filter-grad.ts) where it is large (the 3-channel cases above take the product).
  for (const [hh, ww, c] of [
    [h, w, 6],
    [h * 3, w * 3, 6],
  ] as const) {
    const more = tf.backend_util.computeConv2DInfo([2, hh, ww, c], [kh, kw, c, 5], s, 1, pad);
    cases.push({
      kernel: "Conv2DBackpropFilter",
      name: `${hh}x${ww}x${c} filter ${kh}x${kw} stride ${s} ${pad}`,
      inputs: { x: { shape: [2, hh, ww, c] }, dy: { shape: [2, more.outHeight, more.outWidth, 5] } },
      attrs: { strides: s, pad, dataFormat: "NHWC", filterShape: [kh, kw, c, 5] },
    });
    cases.push({
      kernel: "Conv2DBackpropInput",
      name: `${hh}x${ww}x${c} filter ${kh}x${kw} stride ${s} ${pad}`,
      inputs: { dy: { shape: [2, more.outHeight, more.outWidth, 5] }, filter: { shape: [kh, kw, c, 5] } },
      attrs: { strides: s, pad, dataFormat: "NHWC", inputShape: [2, hh, ww, c] },
    });
  }
  cases.push({
    kernel: "Conv2DBackpropInput",
    name: `${h}x${w} filter ${kh}x${kw} stride ${s} ${pad}`,
    inputs: { dy: { shape: [2, info.outHeight, info.outWidth, co] }, filter: { shape: [kh, kw, ci, co] } },
    attrs: { strides: s, pad, dataFormat: "NHWC", inputShape: [2, h, w, ci] },
  });
  cases.push({
    kernel: "Conv2DBackpropFilter",
    name: `${h}x${w} filter ${kh}x${kw} stride ${s} ${pad}`,
    inputs: { x: { shape: [2, h, w, ci] }, dy: { shape: [2, info.outHeight, info.outWidth, co] } },
    attrs: { strides: s, pad, dataFormat: "NHWC", filterShape: [kh, kw, ci, co] },
  });
  for (const m of [1, 2]) {
    // tfjs's gradients refuse dilated depthwise convolutions, and the CPU kernels ignore the
    // dilation: compare undilated.
    const dil = 1;
    const di = tf.backend_util.computeConv2DInfo([2, h, w, ci], [kh, kw, ci, m], s, dil, pad, undefined, true);
    const dy = { shape: [2, di.outHeight, di.outWidth, ci * m] };
    cases.push({
      kernel: "DepthwiseConv2dNativeBackpropFilter",
      name: `${h}x${w} filter ${kh}x${kw}x${m} stride ${s} dilation ${dil} ${pad}`,
      inputs: { x: { shape: [2, h, w, ci] }, dy },
      attrs: { strides: s, pad, dilations: dil, filterShape: [kh, kw, ci, m] },
    });
    cases.push({
      kernel: "DepthwiseConv2dNativeBackpropInput",
      name: `${h}x${w} filter ${kh}x${kw}x${m} stride ${s} dilation ${dil} ${pad}`,
      inputs: { dy, filter: { shape: [kh, kw, ci, m] } },
      attrs: { strides: s, pad, dilations: dil, inputShape: [2, h, w, ci] },
    });
  }
}
for (const [h, w, f, s, pad] of [
  [4, 4, 2, 2, "valid"],
  [5, 5, 2, 2, "valid"],
  [5, 5, 2, 2, "same"],
  [6, 5, 3, 1, "same"],
  [7, 7, 3, 2, "valid"],
  [
    6,
    6,
    3,
    2,
    [
      [0, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ],
  ],
] as const) {
  const info = tf.backend_util.computePool2DInfo([2, h, w, 3], f, s, 1, pad as "same");
  for (const ties of [false, true]) {
    // Ties: rounded values (many equal maxima in a window) and an all-zero image, as after a ReLU.
    const x = values([2, h, w, 3], 1).map((v, i) => (ties ? (i < h * w * 3 ? 0 : Math.max(0, Math.round(v))) : v));
    cases.push({
      kernel: "MaxPoolGrad",
      name: `${h}x${w} pool ${f} stride ${s} ${pad}${ties ? " with ties" : ""}`,
      inputs: {
        dy: { shape: [2, info.outHeight, info.outWidth, 3] },
        input: { shape: [2, h, w, 3], values: x },
        output: { shape: [2, info.outHeight, info.outWidth, 3] },
      },
      attrs: { filterSize: f, strides: s, pad },
    });
  }
}
cases.push({
  kernel: "UnsortedSegmentSum",
  name: "rows of repeated ids, out-of-range ids dropped",
  inputs: { x: { shape: [6, 2, 4] }, segmentIds: { shape: [6], dtype: "int32", values: [1, 3, 3, 9, -1, 10] } },
  attrs: { numSegments: 10 },
});
cases.push({
  kernel: "UnsortedSegmentSum",
  name: "scalar rows",
  inputs: { x: { shape: [5] }, segmentIds: { shape: [5], dtype: "int32", values: [0, 0, 2, 1, 0] } },
  attrs: { numSegments: 3 },
});
cases.push({
  kernel: "UnsortedSegmentSum",
  name: "float ids (through ScatterNd)",
  inputs: { x: { shape: [4, 3] }, segmentIds: { shape: [4], values: [2, 0, 2, 1] } },
  attrs: { numSegments: 4 },
});
for (const [shape, axis, ids, idShape] of [
  [[10, 4], 0, [2, 9, 2, 0, 5, 5], [2, 3]],
  [[3, 5, 2], 1, [4, 0, 0, 3], [4]],
  [[3, 7], 1, [6, 1, 1], [3]],
  [[6], 0, [5, 0], [2]],
] as const) {
  for (const dtype of ["float32", "int32"] as const)
    cases.push({
      kernel: "GatherV2",
      name: `[${shape}] axis ${axis} ${dtype} ids [${idShape}]`,
      inputs: {
        x: { shape: [...shape], dtype, values: values([...shape], 1).map((v) => Math.round(v * 100)) },
        indices: { shape: [...idShape], dtype: "int32", values: [...ids] },
      },
      attrs: { axis, batchDims: 0 },
    });
}

for (const [kernel, shape, axis, keepDims] of [
  ["Sum", [2, 3, 4, 5], [0, 1, 2], false],
  ["Sum", [6, 7], [0], true],
  ["Sum", [2, 3, 4], [-2, 0], false],
  ["Sum", [2, 3, 4], [1, 2], false],
  ["Sum", [2, 3, 4], [0, 1, 2], false],
  ["Mean", [2, 3, 4, 5], [2, 1, 0], true],
  ["Mean", [9, 3], 0, false],
  ["Mean", [2, 3, 4], [2], false],
] as const) {
  cases.push({
    kernel,
    name: `[${shape.join(",")}] over ${JSON.stringify(axis)}${keepDims ? " keeping dims" : ""}`,
    inputs: { x: { shape: [...shape] } },
    attrs: { axis, keepDims },
  });
}

for (const kernel of ["Multiply", "Add", "Sub", "RealDiv"]) {
  for (const [a, b] of [
    [
      [2, 3, 4, 5],
      [1, 1, 1, 5],
    ],
    [[5], [2, 3, 4, 5]],
    [[6, 4], [4]],
    [
      [1, 4, 5],
      [3, 4, 5],
    ],
    [
      [2, 3, 4],
      [2, 1, 4],
    ],
    [
      [2, 3],
      [2, 3],
    ],
    [[2, 3], []],
  ]) {
    cases.push({ kernel, name: `[${a}] and [${b}]`, inputs: { a: { shape: a! }, b: { shape: b! } }, attrs: {} });
  }
}

function run(c: Case): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const inputs = Object.fromEntries(
      Object.entries(c.inputs).map(([k, v], i) => [
        k,
        tf.tensor(v.values ?? values(v.shape, i + 2), v.shape, v.dtype ?? "float32"),
      ]),
    );
    // MaxPoolGrad's `output` is the pooled input.
    if (c.kernel === "MaxPoolGrad")
      inputs.output = tf.maxPool(
        inputs.input as tf.Tensor4D,
        c.attrs.filterSize as number,
        c.attrs.strides as number,
        c.attrs.pad as "same",
      );
    const out = tf.engine().runKernel(c.kernel, inputs, c.attrs as never) as tf.Tensor;
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

describe("training kernels built from WASM kernels", () => {
  const onWasm = new Map<Case, ReturnType<typeof run>>();
  const onCpu = new Map<Case, ReturnType<typeof run>>();

  beforeAll(async () => {
    await initBackend();
    await installWasmFallbacks();
    for (const c of cases) onWasm.set(c, run(c));
    await initBackend({ backend: "cpu" });
    for (const c of cases) onCpu.set(c, run(c));
    await initBackend({ backend: "wasm" });
  });

  it("are registered for wasm, none through the CPU fallback", () => {
    expect(wasmCompositeKernels()).toEqual([
      "Add",
      "AvgPoolGrad",
      "Cast",
      "Conv2DBackpropFilter",
      "Conv2DBackpropInput",
      "Conv3DBackpropFilterV2",
      "Conv3DBackpropInputV2",
      "DepthwiseConv2dNativeBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
      "GatherV2",
      "Identity",
      "KerastoreAdamUpdate",
      "KerastoreAddRelu",
      "KerastoreBatchNormReluTrain",
      "KerastoreBatchNormTrain",
      "KerastoreBatchNormTrainGrad",
      "KerastoreConv2DBiasRelu",
      "KerastoreGlobalAvgPool",
      "KerastoreGlobalAvgPoolGrad",
      "KerastoreMatMul",
      "KerastoreRMSpropUpdate",
      "KerastoreRelu",
      "KerastoreReluBiasGrad",
      "KerastoreReluGrad",
      "KerastoreSGDUpdate",
      "KerastoreScaleShift",
      "KerastoreSoftmaxCrossEntropy",
      "KerastoreSoftmaxCrossEntropyGrad",
      "KerastoreTransposeBiasAct",
      "MaxPoolGrad",
      "Mean",
      "Multiply",
      "RealDiv",
      "Slice",
      "Sub",
      "Sum",
      "Transpose",
      "UnsortedSegmentSum",
    ]);
    for (const k of wasmCompositeKernels()) expect(isWasmFallback(k), k).toBe(false);
  });

  it("leave no tensor data behind", () => {
    const before = tf.memory().numBytes;
    const backendBefore = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
    for (const c of cases) run(c);
    expect(tf.memory().numBytes).toBe(before);
    expect((tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds()).toBe(
      backendBefore,
    );
  });

  it("elementwise ops with a row broadcast equal WASM's same-shape kernels bit for bit", () => {
    tf.tidy(() => {
      const x = tf.tensor(values([8, 5, 6, 16], 3), [8, 5, 6, 16]);
      const row = tf.add(tf.tensor(values([16], 4), [16]), 3);
      const full = tf.tile(tf.reshape(row, [1, 1, 1, 16]), [8, 5, 6, 1]);
      for (const op of [tf.mul, tf.add, tf.sub, tf.div]) {
        expect(Array.from(op(x, row).dataSync())).toEqual(Array.from(op(x, full).dataSync()));
        expect(Array.from(op(row, x).dataSync())).toEqual(Array.from(op(full, x).dataSync()));
      }
    });
  });

  it("Sum and Mean over the leading axes equal WASM's own kernels bit for bit", () => {
    tf.tidy(() => {
      const x = tf.tensor(values([64, 37, 16], 7), [64, 37, 16]);
      // Over the last axis of the transposed rows: WASM's kernel, summing in the same order.
      const rows = tf.transpose(tf.reshape(x, [64 * 37, 16]));
      expect(Array.from(tf.sum(x, [0, 1]).dataSync())).toEqual(Array.from(tf.sum(rows, 1).dataSync()));
      expect(Array.from(tf.mean(x, [1, 0]).dataSync())).toEqual(Array.from(tf.mean(rows, 1).dataSync()));
    });
  });

  it("GatherV2 refuses an index outside the table, leaving nothing behind", () => {
    const before = tf.memory().numBytes;
    const x = tf.tensor2d(values([4, 3], 1), [4, 3]);
    for (const bad of [4, -1]) {
      const ids = tf.tensor1d([0, bad], "int32");
      expect(() => tf.gather(x, ids)).toThrow(`index value ${bad} is not in [0, 3]`);
      ids.dispose();
    }
    x.dispose();
    expect(tf.memory().numBytes).toBe(before);
  });

  for (const c of cases) {
    it(`${c.kernel}: ${c.name}`, () => {
      const w = onWasm.get(c)!;
      const cpu = onCpu.get(c)!;
      expect(w.shape).toEqual(cpu.shape);
      let scale = 0;
      for (const v of cpu.values) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < cpu.values.length; i++)
        expect(Math.abs(w.values[i]! - cpu.values[i]!), `element ${i}`).toBeLessThan(1e-5 * scale);
    });
  }
});
