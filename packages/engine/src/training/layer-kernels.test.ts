import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
// Through the engine's entry: it installs the built-in layer classes.
import {
  Dense,
  Input,
  type KerasTensor,
  Model,
  builtinLayerClasses,
  clearSession,
  deserializeLayer,
  initBackend,
  installWasmFallbacks,
  isWasmFallback,
  registerGradients,
  wasmFallbackUses,
} from "../index.js";

// For every layer class of the engine: one training step (forward, backward, SGD update) of a
// model holding that layer on the WASM backend, profiled. Lists the kernels each step runs and
// fails when one is not a WASM kernel of its own (a kernel that reaches tfjs-backend-cpu through
// the fallback, or none registered).

interface Case {
  /** Keras class names the case covers. */
  covers: string[];
  /** The layer's Keras config ({ class_name, config }). */
  layer: Record<string, unknown>;
  /** Input shapes without the batch axis; int32 ids when `ids` is set. */
  inputs: number[][];
  ids?: number;
  /** A layer after it: trainable, for layers on ids with no weights of their own; or a ReLU to fuse. */
  after?: Record<string, unknown>;
}

const L = (className: string, config: Record<string, unknown> = {}): Record<string, unknown> => ({
  class_name: className,
  config,
});
const cell = (className: string) => L(className, { units: 3 });

const cases: Case[] = [
  { covers: ["Dense"], layer: L("Dense", { units: 3 }), inputs: [[4]] },
  { covers: ["Dropout"], layer: L("Dropout", { rate: 0.3 }), inputs: [[4]] },
  { covers: ["Activation"], layer: L("Activation", { activation: "tanh" }), inputs: [[4]] },
  // The engine's ReLU kernels (ops/wasm/relu-train.ts), and a ReLU fused into the layer before it
  // (relu-fusion.ts): BatchNormalization's fused kernels (over 4096 values a channel), Add.
  { covers: ["Activation"], layer: L("Activation", { activation: "relu" }), inputs: [[4]] },
  {
    covers: ["BatchNormalization"],
    layer: L("BatchNormalization"),
    inputs: [[40, 40, 4]],
    after: L("Activation", { activation: "relu" }),
  },
  { covers: ["Add"], layer: L("Add"), inputs: [[4], [4]], after: L("ReLU") },
  { covers: ["Flatten"], layer: L("Flatten"), inputs: [[2, 3]] },
  { covers: ["Reshape"], layer: L("Reshape", { target_shape: [3, 2] }), inputs: [[6]] },
  { covers: ["Identity"], layer: L("Identity"), inputs: [[4]] },
  { covers: ["Rescaling"], layer: L("Rescaling", { scale: 0.5, offset: 1 }), inputs: [[4]] },
  { covers: ["ReLU"], layer: L("ReLU", { max_value: 6 }), inputs: [[4]] },
  { covers: ["LeakyReLU"], layer: L("LeakyReLU", { negative_slope: 0.2 }), inputs: [[4]] },
  { covers: ["Softmax"], layer: L("Softmax"), inputs: [[4]] },
  ...["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"].map((c) => ({
    covers: [c],
    layer: L(c),
    inputs: [[4], [4]],
  })),
  {
    covers: ["Conv1D"],
    layer: L("Conv1D", { filters: 3, kernel_size: 3, strides: 2, padding: "same" }),
    inputs: [[9, 2]],
  },
  {
    covers: ["Conv2D"],
    layer: L("Conv2D", { filters: 3, kernel_size: [3, 3], strides: [2, 2], padding: "same" }),
    inputs: [[7, 7, 2]],
  },
  {
    covers: ["DepthwiseConv2D"],
    layer: L("DepthwiseConv2D", { kernel_size: [3, 3], depth_multiplier: 2 }),
    inputs: [[6, 6, 2]],
  },
  {
    covers: ["SeparableConv2D"],
    layer: L("SeparableConv2D", { filters: 3, kernel_size: [3, 3], padding: "same" }),
    inputs: [[6, 6, 2]],
  },
  {
    covers: ["Conv2DTranspose"],
    layer: L("Conv2DTranspose", { filters: 3, kernel_size: [3, 3], strides: [2, 2], padding: "same" }),
    inputs: [[4, 4, 2]],
  },
  { covers: ["MaxPooling1D"], layer: L("MaxPooling1D", { pool_size: 2 }), inputs: [[8, 3]] },
  { covers: ["MaxPooling2D"], layer: L("MaxPooling2D", { pool_size: [2, 2] }), inputs: [[6, 6, 2]] },
  {
    covers: ["MaxPooling2D"],
    layer: L("MaxPooling2D", { pool_size: [3, 3], strides: [2, 2], padding: "same" }),
    inputs: [[7, 7, 2]],
  },
  { covers: ["AveragePooling1D"], layer: L("AveragePooling1D", { pool_size: 2 }), inputs: [[8, 3]] },
  { covers: ["AveragePooling2D"], layer: L("AveragePooling2D", { pool_size: [2, 2] }), inputs: [[6, 6, 2]] },
  ...["GlobalAveragePooling1D", "GlobalMaxPooling1D"].map((c) => ({ covers: [c], layer: L(c), inputs: [[5, 3]] })),
  ...["GlobalAveragePooling2D", "GlobalMaxPooling2D"].map((c) => ({ covers: [c], layer: L(c), inputs: [[4, 4, 3]] })),
  { covers: ["BatchNormalization"], layer: L("BatchNormalization"), inputs: [[4, 4, 3]] },
  { covers: ["LayerNormalization"], layer: L("LayerNormalization"), inputs: [[5, 3]] },
  { covers: ["Embedding"], layer: L("Embedding", { input_dim: 20, output_dim: 4 }), inputs: [[6]], ids: 20 },
  { covers: ["SimpleRNN"], layer: L("SimpleRNN", { units: 3 }), inputs: [[5, 2]] },
  { covers: ["LSTM"], layer: L("LSTM", { units: 3, return_sequences: true }), inputs: [[5, 2]] },
  { covers: ["GRU"], layer: L("GRU", { units: 3 }), inputs: [[5, 2]] },
  { covers: ["RNN", "SimpleRNNCell"], layer: L("RNN", { cell: cell("SimpleRNNCell") }), inputs: [[5, 2]] },
  { covers: ["RNN", "LSTMCell"], layer: L("RNN", { cell: cell("LSTMCell") }), inputs: [[5, 2]] },
  { covers: ["RNN", "GRUCell"], layer: L("RNN", { cell: cell("GRUCell") }), inputs: [[5, 2]] },
  { covers: ["Bidirectional"], layer: L("Bidirectional", { layer: L("LSTM", { units: 3 }) }), inputs: [[5, 2]] },
  { covers: ["TimeDistributed"], layer: L("TimeDistributed", { layer: L("Dense", { units: 3 }) }), inputs: [[5, 2]] },
  { covers: ["ZeroPadding1D"], layer: L("ZeroPadding1D", { padding: 1 }), inputs: [[5, 2]] },
  { covers: ["ZeroPadding2D"], layer: L("ZeroPadding2D", { padding: [1, 2] }), inputs: [[4, 4, 2]] },
  { covers: ["Cropping1D"], layer: L("Cropping1D", { cropping: [1, 1] }), inputs: [[5, 2]] },
  {
    covers: ["Cropping2D"],
    layer: L("Cropping2D", {
      cropping: [
        [1, 0],
        [0, 1],
      ],
    }),
    inputs: [[4, 4, 2]],
  },
  { covers: ["UpSampling1D"], layer: L("UpSampling1D", { size: 2 }), inputs: [[4, 2]] },
  { covers: ["UpSampling2D"], layer: L("UpSampling2D", { size: [2, 2] }), inputs: [[3, 3, 2]] },
  {
    covers: ["UpSampling2D"],
    layer: L("UpSampling2D", { size: [2, 2], interpolation: "bilinear" }),
    inputs: [[3, 3, 2]],
  },
  { covers: ["RepeatVector"], layer: L("RepeatVector", { n: 3 }), inputs: [[4]] },
  { covers: ["Permute"], layer: L("Permute", { dims: [2, 1] }), inputs: [[3, 4]] },
  { covers: ["Masking"], layer: L("Masking", { mask_value: 0 }), inputs: [[5, 2]] },
  { covers: ["RandomFlip"], layer: L("RandomFlip", { mode: "horizontal", seed: 1 }), inputs: [[4, 4, 2]] },
  { covers: ["RandomRotation"], layer: L("RandomRotation", { factor: 0.1, seed: 1 }), inputs: [[4, 4, 2]] },
  { covers: ["RandomZoom"], layer: L("RandomZoom", { height_factor: 0.1, seed: 1 }), inputs: [[4, 4, 2]] },
  { covers: ["RandomContrast"], layer: L("RandomContrast", { factor: 0.2, seed: 1 }), inputs: [[4, 4, 2]] },
  {
    covers: ["RandomTranslation"],
    layer: L("RandomTranslation", { height_factor: 0.1, width_factor: 0.1, seed: 1 }),
    inputs: [[4, 4, 2]],
  },
  // Layer breadth (issue 20).
  { covers: ["SpatialDropout1D"], layer: L("SpatialDropout1D", { rate: 0.3 }), inputs: [[5, 3]] },
  { covers: ["SpatialDropout2D"], layer: L("SpatialDropout2D", { rate: 0.3 }), inputs: [[4, 4, 2]] },
  { covers: ["SpatialDropout3D"], layer: L("SpatialDropout3D", { rate: 0.3 }), inputs: [[3, 3, 3, 2]] },
  { covers: ["AlphaDropout"], layer: L("AlphaDropout", { rate: 0.2 }), inputs: [[4]] },
  { covers: ["GaussianNoise"], layer: L("GaussianNoise", { stddev: 0.1 }), inputs: [[4]] },
  { covers: ["GaussianDropout"], layer: L("GaussianDropout", { rate: 0.2 }), inputs: [[4]] },
  { covers: ["ActivityRegularization"], layer: L("ActivityRegularization", { l1: 0.01, l2: 0.01 }), inputs: [[4]] },
  { covers: ["ELU"], layer: L("ELU", { alpha: 0.5 }), inputs: [[4]] },
  { covers: ["PReLU"], layer: L("PReLU", { shared_axes: [1] }), inputs: [[3, 4]] },
  { covers: ["ThresholdedReLU"], layer: L("ThresholdedReLU", { theta: 0.2 }), inputs: [[4]] },
  { covers: ["CuDNNLSTM"], layer: L("CuDNNLSTM", { units: 3 }), inputs: [[5, 4]] },
  { covers: ["CuDNNGRU"], layer: L("CuDNNGRU", { units: 3 }), inputs: [[5, 4]] },
  {
    covers: ["LocallyConnected1D"],
    layer: L("LocallyConnected1D", { filters: 3, kernel_size: [3], strides: [2], implementation: 3 }),
    inputs: [[7, 2]],
  },
  {
    covers: ["LocallyConnected2D"],
    layer: L("LocallyConnected2D", {
      filters: 2,
      kernel_size: [2, 2],
      implementation: 2,
      data_format: "channels_first",
    }),
    inputs: [[2, 4, 5]],
  },
  {
    covers: ["Dot"],
    layer: L("Dot", { axes: 2 }),
    inputs: [
      [3, 4],
      [5, 4],
    ],
  },
  {
    covers: ["Conv3D"],
    layer: L("Conv3D", { filters: 2, kernel_size: [2, 2, 2], strides: [2, 2, 2], padding: "same" }),
    inputs: [[4, 4, 4, 2]],
  },
  {
    covers: ["Conv1DTranspose"],
    layer: L("Conv1DTranspose", { filters: 2, kernel_size: 3, strides: 2, padding: "same" }),
    inputs: [[4, 2]],
  },
  {
    covers: ["Conv3DTranspose"],
    layer: L("Conv3DTranspose", { filters: 2, kernel_size: [2, 2, 2], strides: [2, 2, 2], padding: "same" }),
    inputs: [[2, 2, 2, 2]],
  },
  { covers: ["MaxPooling3D"], layer: L("MaxPooling3D", { pool_size: [2, 2, 2] }), inputs: [[4, 4, 4, 2]] },
  { covers: ["AveragePooling3D"], layer: L("AveragePooling3D", { pool_size: [2, 2, 2] }), inputs: [[4, 4, 4, 2]] },
  ...["GlobalAveragePooling3D", "GlobalMaxPooling3D"].map((c) => ({
    covers: [c],
    layer: L(c),
    inputs: [[3, 3, 3, 2]],
  })),
  { covers: ["ZeroPadding3D"], layer: L("ZeroPadding3D", { padding: 1 }), inputs: [[2, 2, 2, 2]] },
  { covers: ["Cropping3D"], layer: L("Cropping3D", { cropping: 1 }), inputs: [[4, 4, 4, 2]] },
  { covers: ["UpSampling3D"], layer: L("UpSampling3D", { size: [2, 2, 2] }), inputs: [[2, 2, 2, 2]] },
  {
    covers: ["Attention"],
    layer: L("Attention", { use_scale: true }),
    inputs: [
      [3, 4],
      [5, 4],
    ],
  },
  {
    covers: ["Attention"],
    layer: L("Attention", { score_mode: "concat" }),
    inputs: [
      [3, 4],
      [5, 4],
    ],
  },
  {
    covers: ["AdditiveAttention"],
    layer: L("AdditiveAttention"),
    inputs: [
      [3, 4],
      [5, 4],
    ],
  },
  {
    covers: ["MultiHeadAttention"],
    layer: L("MultiHeadAttention", { num_heads: 2, key_dim: 3 }),
    inputs: [
      [3, 4],
      [5, 4],
    ],
  },
  { covers: ["Normalization"], layer: L("Normalization", { mean: 0.5, variance: 2 }), inputs: [[4]] },
  { covers: ["GroupNormalization"], layer: L("GroupNormalization", { groups: 2 }), inputs: [[3, 4]] },
  { covers: ["UnitNormalization"], layer: L("UnitNormalization"), inputs: [[4]] },
  { covers: ["Resizing"], layer: L("Resizing", { height: 3, width: 5 }), inputs: [[4, 4, 2]] },
  {
    covers: ["Resizing"],
    layer: L("Resizing", { height: 6, width: 3, interpolation: "nearest" }),
    inputs: [[4, 4, 2]],
  },
  { covers: ["CenterCrop"], layer: L("CenterCrop", { height: 2, width: 3 }), inputs: [[4, 4, 2]] },
  {
    covers: ["CategoryEncoding"],
    layer: L("CategoryEncoding", { num_tokens: 20, output_mode: "count" }),
    inputs: [[6]],
    ids: 20,
    after: L("Dense", { units: 2 }),
  },
  { covers: ["LayerScale"], layer: L("LayerScale", { init_values: 0.5, projection_dim: 4 }), inputs: [[3, 4]] },
  { covers: ["StochasticDepth"], layer: L("StochasticDepth", { drop_path_rate: 0.25 }), inputs: [[3, 4]] },
  {
    covers: ["ConvLSTM2D"],
    layer: L("ConvLSTM2D", { filters: 2, kernel_size: [3, 3], padding: "same", return_sequences: true }),
    inputs: [[3, 4, 4, 2]],
  },
];

// Classes the cases do not hold as their own layer: models (every case is one) and the input layer.
const NOT_LAYERS = new Set(["InputLayer", "Functional", "Model", "Sequential"]);

const BATCH = 4;

/** A model: each float input through a trainable Dense (so gradients cross the layer), then the layer. */
function modelFor(c: Case): Model {
  clearSession();
  const inputs = c.inputs.map((shape) => Input({ shape, dtype: c.ids === undefined ? "float32" : "int32" }));
  const fed = inputs.map((x, i) =>
    c.ids === undefined ? (new Dense({ units: c.inputs[i]!.at(-1)!, name: `pre_${i}` }).apply(x) as KerasTensor) : x,
  );
  const layer = deserializeLayer(c.layer as never, {});
  let out = layer.apply(fed.length === 1 ? fed[0]! : fed) as KerasTensor;
  if (c.after !== undefined) out = deserializeLayer(c.after as never, {}).apply(out) as KerasTensor;
  return new Model({ inputs, outputs: out });
}

/** The kernels one `trainOnBatch` of the case's model runs, by name, with their run counts. */
async function stepKernels(c: Case): Promise<Map<string, number>> {
  const model = modelFor(c);
  model.compile({ optimizer: "sgd", loss: "mse" });
  const xs = c.inputs.map((shape, i) =>
    c.ids === undefined
      ? tf.randomUniform([BATCH, ...shape], -1, 1, "float32", i + 1)
      : tf.randomUniform([BATCH, ...shape], 0, c.ids, "int32", i + 1),
  );
  const outShape = model.outputs[0]!.shape.map((d) => d ?? BATCH);
  const y = tf.randomUniform(outShape, -1, 1, "float32", 9);
  await model.trainOnBatch(xs.length === 1 ? xs[0]! : xs, y);
  const profile = await tf.profile(async () => {
    await model.trainOnBatch(xs.length === 1 ? xs[0]! : xs, y);
  });
  tf.dispose([...xs, y]);
  const counts = new Map<string, number>();
  for (const k of profile.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  return counts;
}

/** Kernels of `counts` that are not WASM kernels of their own. */
function notOnWasm(counts: Map<string, number>): string[] {
  return [...counts.keys()].filter((name) =>
    tf.getKernel(name, "wasm") === undefined ? !isOpScope(name) : isWasmFallback(name),
  );
}

// tf.profile also records op scopes (names ending in __op, "unnamed scope") besides kernels.
function isOpScope(name: string): boolean {
  return name.endsWith("__op") || name === "unnamed scope";
}

describe("kernels of a training step of every layer class on the WASM backend", () => {
  const results = new Map<Case, Map<string, number> | Error>();

  beforeAll(async () => {
    await initBackend();
    await registerGradients();
    await installWasmFallbacks();
    for (const c of cases) {
      try {
        results.set(c, await stepKernels(c));
      } catch (error) {
        results.set(c, error as Error);
      }
    }
    const table = [...results].map(
      ([c, r]) =>
        `${c.covers.join("+")}: ${
          r instanceof Error
            ? `error: ${r.message}`
            : [...r.keys()]
                .filter((n) => !isOpScope(n))
                .sort()
                .join(" ")
        }`,
    );
    console.log(`Kernels of one training step, by layer class:\n${table.join("\n")}`);
  }, 120_000);

  it("covers every layer class of the engine", () => {
    const covered = new Set(cases.flatMap((c) => c.covers));
    const classes = new Set(
      [...builtinLayerClasses().values()].map((cls) => (cls as unknown as { className: string }).className),
    );
    const missing = [...classes].filter((name) => !NOT_LAYERS.has(name) && !covered.has(name));
    expect(missing).toEqual([]);
  });

  it("detects a kernel that runs through the CPU fallback", async () => {
    // Einsum has no WASM kernel: the fallback runs tfjs-backend-cpu's.
    const profile = await tf.profile(() => tf.einsum("ij,jk->ik", tf.ones([2, 3]), tf.ones([3, 2])));
    const counts = new Map(profile.kernels.map((k) => [k.name, 1]));
    expect(notOnWasm(counts)).toEqual(["Einsum"]);
  });

  for (const c of cases) {
    it(`${c.covers.join(" + ")} (${JSON.stringify((c.layer as { config: object }).config)})`, () => {
      const r = results.get(c)!;
      if (r instanceof Error) throw r;
      expect(r.size).toBeGreaterThan(0);
      expect(notOnWasm(r)).toEqual([]);
    });
  }

  it("ran nothing through the CPU fallback", () => {
    const layerUses = [...wasmFallbackUses().keys()].filter((k) => k !== "Einsum");
    expect(layerUses).toEqual([]);
  });
});
