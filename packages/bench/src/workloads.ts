// The four training workloads of docs/benchmarks.md ("training"), each described once as a
// list of Keras layers, from which the benchmark builds the engine's model, tfjs-layers's and
// Python Keras's (the same architecture in all three).

/** One layer: its Keras class, its Keras config (snake_case) and the names of its inputs. */
export interface LayerSpec {
  name: string;
  cls: string;
  config: Record<string, unknown>;
  /** Names of the layers feeding it; the previous layer when absent. */
  inputs?: string[];
}

export interface Workload {
  key: string;
  title: string;
  /** Input shape without the batch axis, and dtype. */
  input: number[];
  /** Token ids in [0, vocab) when set; floats in [0, 1) otherwise. */
  vocab?: number;
  layers: LayerSpec[];
  loss: "categorical_crossentropy" | "binary_crossentropy";
  /** Output width (classes; 1 for binary). */
  classes: number;
  batch: number;
  /** Batches per timed epoch. */
  steps: number;
  /** A real-world file holding this model's weights (../shared/realworld), when there is one. */
  weightsFile?: string;
}

const dense = (name: string, units: number, activation: string): LayerSpec => ({
  name,
  cls: "Dense",
  config: { units, activation },
});
const conv = (
  name: string,
  filters: number,
  strides = 1,
  kernel = 3,
  activation = "linear",
  inputs?: string[],
): LayerSpec => ({
  name,
  cls: "Conv2D",
  config: {
    filters,
    kernel_size: [kernel, kernel],
    strides: [strides, strides],
    padding: "same",
    activation,
    use_bias: activation !== "linear",
  },
  ...(inputs ? { inputs } : {}),
});
const bn = (name: string): LayerSpec => ({ name, cls: "BatchNormalization", config: {} });
const relu = (name: string, inputs?: string[]): LayerSpec => ({
  name,
  cls: "Activation",
  config: { activation: "relu" },
  ...(inputs ? { inputs } : {}),
});
const add = (name: string, inputs: string[]): LayerSpec => ({ name, cls: "Add", config: {}, inputs });

/** A residual block: conv-bn-relu-conv-bn plus the shortcut (a strided 1x1 conv when the shape changes), then relu. */
function block(prefix: string, from: string, filters: number, strides: number): LayerSpec[] {
  const shortcut = strides === 1 ? from : `${prefix}_proj_bn`;
  return [
    conv(`${prefix}_conv1`, filters, strides, 3, "linear", [from]),
    bn(`${prefix}_bn1`),
    relu(`${prefix}_relu1`),
    conv(`${prefix}_conv2`, filters),
    bn(`${prefix}_bn2`),
    ...(strides === 1 ? [] : [conv(`${prefix}_proj`, filters, strides, 1, "linear", [from]), bn(`${prefix}_proj_bn`)]),
    add(`${prefix}_add`, [`${prefix}_bn2`, shortcut]),
    relu(`${prefix}_out`),
  ];
}

export const WORKLOADS: Workload[] = [
  {
    key: "mlp",
    title: "MLP 784-512-512-10 (relu, relu, softmax)",
    input: [784],
    layers: [dense("d1", 512, "relu"), dense("d2", 512, "relu"), dense("d3", 10, "softmax")],
    loss: "categorical_crossentropy",
    classes: 10,
    batch: 256,
    steps: 8,
  },
  {
    key: "cnn",
    title: "MNIST CNN of A-I-nstein/mnist_cnn (28x28x1: 3 x Conv2D 3x3 + MaxPooling2D, Dense 54, Dense 10)",
    input: [28, 28, 1],
    layers: [
      {
        name: "conv2d",
        cls: "Conv2D",
        config: { filters: 32, kernel_size: [3, 3], padding: "same", activation: "relu" },
      },
      { name: "max_pooling2d", cls: "MaxPooling2D", config: { pool_size: [2, 2] } },
      {
        name: "conv2d_1",
        cls: "Conv2D",
        config: { filters: 64, kernel_size: [3, 3], padding: "same", activation: "relu" },
      },
      { name: "max_pooling2d_1", cls: "MaxPooling2D", config: { pool_size: [2, 2] } },
      {
        name: "conv2d_2",
        cls: "Conv2D",
        config: { filters: 128, kernel_size: [3, 3], padding: "same", activation: "relu" },
      },
      { name: "max_pooling2d_2", cls: "MaxPooling2D", config: { pool_size: [2, 2] } },
      { name: "flatten", cls: "Flatten", config: {} },
      dense("dense", 54, "relu"),
      dense("dense_1", 10, "softmax"),
    ],
    loss: "categorical_crossentropy",
    classes: 10,
    batch: 32,
    // 32 steps: Keras's fixed cost per fit call (~13 ms) is ~1% of such an epoch (it was ~8% of 8 steps).
    steps: 32,
    weightsFile: "A-I-nstein__mnist_cnn__cnn_model.h5",
  },
  {
    key: "text",
    title: "Embedding(10000, 64) + LSTM(64) over 100 steps + Dense(1, sigmoid)",
    input: [100],
    vocab: 10_000,
    layers: [
      { name: "embedding", cls: "Embedding", config: { input_dim: 10_000, output_dim: 64 } },
      { name: "lstm", cls: "LSTM", config: { units: 64, recurrent_activation: "sigmoid" } },
      dense("out", 1, "sigmoid"),
    ],
    loss: "binary_crossentropy",
    classes: 1,
    batch: 32,
    steps: 4,
  },
  {
    key: "resnet",
    title: "ResNet-style CNN on 32x32x3 (stem conv 32, residual blocks 32, 64/2, 64, global average pooling, Dense 10)",
    input: [32, 32, 3],
    layers: [
      conv("stem", 32),
      bn("stem_bn"),
      relu("stem_relu"),
      ...block("b1", "stem_relu", 32, 1),
      ...block("b2", "b1_out", 64, 2),
      ...block("b3", "b2_out", 64, 1),
      { name: "gap", cls: "GlobalAveragePooling2D", config: {} },
      dense("logits", 10, "softmax"),
    ],
    loss: "categorical_crossentropy",
    classes: 10,
    batch: 32,
    steps: 4,
  },
];
