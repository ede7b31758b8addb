import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { convBatchNormFolds } from "./conv-bn-fold.js";
// Through the engine's entry: it installs the built-in layer classes.
import { type Spec, buildGraph } from "./graph-build.test-util.js";
import { type Layer, initBackend } from "./index.js";

// Inference-time folding of BatchNormalization (and a following ReLU) into the convolution
// before it (conv-bn-fold.ts): which chains fold, and that predict gives what running the
// layers one by one gives, within float error; with weights changed between calls.

const build = buildGraph;

/** Gives every BatchNormalization's weights values far from their defaults. */
function randomizeBatchNorms(layers: Map<string, Layer>, seed: number): void {
  for (const layer of layers.values()) {
    if (layer.className !== "BatchNormalization") continue;
    const c = layer.weights[0]!.value.shape[0]!;
    const host = (lo: number, hi: number, s: number) =>
      tf.randomUniform([c], lo, hi, "float32", s).dataSync() as Float32Array;
    const ranges: Record<string, [number, number]> = {
      gamma: [0.5, 2],
      beta: [-1, 1],
      moving_mean: [-0.5, 0.5],
      moving_variance: [0.2, 3],
    };
    // Without scale (gamma) or center (beta), those are not among its weights.
    layer.setWeights(
      layer.weights.map((w, i) => {
        const [lo, hi] = ranges[w.name.split("/").at(-1)!]!;
        return host(lo, hi, seed + i);
      }),
    );
  }
}

/** The model's output with every layer run on its own (no folding), in graph order. */
function layerByLayer(x: tf.Tensor, layers: Map<string, Layer>, specs: Record<string, Spec>): tf.Tensor {
  const values = new Map<string, tf.Tensor>([["input", x]]);
  let last = x;
  for (const [name, [, , inputs]] of Object.entries(specs)) {
    const from = inputs?.map((n) => values.get(n)!) ?? [last];
    last = layers.get(name)!.apply(from.length === 1 ? from[0]! : from, { training: false }) as tf.Tensor;
    values.set(name, last);
  }
  return last;
}

const SPECS: Record<string, Spec> = {
  c1: ["Conv2D", { filters: 8, kernel_size: 3, padding: "same" }],
  b1: ["BatchNormalization", {}],
  r1: ["Activation", { activation: "relu" }],
  c2: ["Conv2D", { filters: 8, kernel_size: 3, strides: 2, padding: "valid", use_bias: false }],
  b2: ["BatchNormalization", { scale: false }],
  // b2's output feeds two layers: c3's chain stops at b2 (no ReLU folded).
  r2: ["Activation", { activation: "relu" }, ["b2"]],
  c3: ["Conv2D", { filters: 6, kernel_size: 1 }, ["r2"]],
  b3: ["BatchNormalization", { center: false }],
  skip: ["Conv2D", { filters: 6, kernel_size: 1 }, ["b2"]],
  sum: ["Add", {}, ["b3", "skip"]],
  // Not folded: a convolution with its own activation, and a batch norm on another axis.
  c4: ["Conv2D", { filters: 6, kernel_size: 1, activation: "relu" }],
  b4: ["BatchNormalization", {}],
  c5: ["Conv2D", { filters: 4, kernel_size: 1 }],
  b5: ["BatchNormalization", { axis: 1 }],
};

describe("folding BatchNormalization into the convolution before it, at inference", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("finds the chains whose outputs feed only the next layer", () => {
    const { model, layers } = build([9, 9, 3], SPECS);
    const graph = (model as unknown as { graph: Parameters<typeof convBatchNormFolds>[0] }).graph;
    const plan = convBatchNormFolds(graph, model.outputs);
    const chains = [...plan.heads.values()].map((c) => [c.conv.name, c.batchNorm.name, c.relu]);
    // c1 -> b1 -> r1 (with the ReLU), c2 -> b2 (b2 feeds two layers), c3 -> b3 (Add follows).
    expect(chains).toEqual([
      ["c1", "b1", true],
      ["c2", "b2", false],
      ["c3", "b3", false],
    ]);
    expect(plan.replaced.size).toBe(4);
    expect(layers.size).toBe(Object.keys(SPECS).length);
  });

  it("predicts what the layers give one by one, within float error, and follows weight changes", async () => {
    const { model, layers } = build([9, 9, 3], SPECS);
    const x = tf.randomNormal([5, 9, 9, 3], 0, 1, "float32", 7);
    for (const seed of [1, 20]) {
      randomizeBatchNorms(layers, seed);
      const want = layerByLayer(x, layers, SPECS);
      const got = tf.tensor(model.predictOne(x).data as Float32Array, want.shape);
      const scale = tf.max(tf.abs(want)).dataSync()[0]!;
      const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]!;
      expect(scale).toBeGreaterThan(0.1);
      expect(diff / scale, `seed ${seed}`).toBeLessThan(2e-6);
      tf.dispose([want, got]);
    }
    // The folded chains run as fused convolutions: no scale-shift or ReLU pass for them.
    const info = await tf.profile(() => {
      model.predictOne(x);
    });
    const names = info.kernels.map((k) => k.name);
    expect(names.filter((n) => n === "FusedConv2D").length).toBeGreaterThanOrEqual(3);
    expect(names.filter((n) => n === "Relu").length).toBe(1);
    x.dispose();
  });

  it("does not fold while training: fit's forward pass runs each layer", async () => {
    const specs: Record<string, Spec> = {
      c1: ["Conv2D", { filters: 4, kernel_size: 3, padding: "same" }],
      b1: ["BatchNormalization", {}],
      r1: ["Activation", { activation: "relu" }],
    };
    const { model } = build([6, 6, 2], specs);
    const x = tf.randomNormal([3, 6, 6, 2], 0, 1, "float32", 3);
    // The ReLU runs as its own kernel in training, fused into the convolution otherwise.
    const info = await tf.profile(() => model.apply(x, { training: true }) as tf.Tensor);
    expect(info.kernels.map((k) => k.name)).toContain("Relu");
    const folded = await tf.profile(() => model.apply(x) as tf.Tensor);
    expect(folded.kernels.map((k) => k.name)).not.toContain("Relu");
    tf.dispose([x, info.result as tf.Tensor, folded.result as tf.Tensor]);
  });

  it("folds Conv1D chains too", () => {
    const specs: Record<string, Spec> = {
      c1: ["Conv1D", { filters: 5, kernel_size: 3, padding: "causal" }],
      b1: ["BatchNormalization", {}],
      r1: ["Activation", { activation: "relu" }],
      c2: ["Conv1D", { filters: 3, kernel_size: 2, dilation_rate: 2 }],
      b2: ["BatchNormalization", {}],
    };
    const { model, layers } = build([11, 4], specs);
    randomizeBatchNorms(layers, 5);
    const x = tf.randomNormal([4, 11, 4], 0, 1, "float32", 9);
    const want = layerByLayer(x, layers, specs);
    const got = tf.tensor(model.predictOne(x).data as Float32Array, want.shape);
    const scale = tf.max(tf.abs(want)).dataSync()[0]!;
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]! / scale).toBeLessThan(2e-6);
    tf.dispose([x, want, got]);
  });
});
