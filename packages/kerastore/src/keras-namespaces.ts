// The `keras` facade's namespaces that mirror Keras's own: keras.layers, keras.initializers,
// keras.losses, keras.metrics, keras.utils and keras.ops. keras.ts assembles them.
import * as core from "@kerastore/core";
import * as engine from "@kerastore/engine";
import * as registry from "@kerastore/registry";

/** Every layer class the engine has, by its Keras name (and Keras 3's short aliases). */
const typedLayers = {
  Layer: engine.Layer,
  InputLayer: engine.InputLayer,
  Input: engine.Input,
  Dense: engine.Dense,
  Dropout: engine.Dropout,
  Activation: engine.Activation,
  Flatten: engine.Flatten,
  Reshape: engine.Reshape,
  Rescaling: engine.Rescaling,
  Identity: engine.Identity,
  ReLU: engine.ReLU,
  LeakyReLU: engine.LeakyReLU,
  Softmax: engine.Softmax,
  Add: engine.Add,
  Subtract: engine.Subtract,
  Multiply: engine.Multiply,
  Average: engine.Average,
  Maximum: engine.Maximum,
  Minimum: engine.Minimum,
  Concatenate: engine.Concatenate,
  Conv1D: engine.Conv1D,
  Conv2D: engine.Conv2D,
  Conv2DTranspose: engine.Conv2DTranspose,
  DepthwiseConv2D: engine.DepthwiseConv2D,
  SeparableConv2D: engine.SeparableConv2D,
  Embedding: engine.Embedding,
  BatchNormalization: engine.BatchNormalization,
  LayerNormalization: engine.LayerNormalization,
  MaxPooling1D: engine.MaxPooling1D,
  MaxPooling2D: engine.MaxPooling2D,
  AveragePooling1D: engine.AveragePooling1D,
  AveragePooling2D: engine.AveragePooling2D,
  GlobalAveragePooling1D: engine.GlobalAveragePooling1D,
  GlobalAveragePooling2D: engine.GlobalAveragePooling2D,
  GlobalMaxPooling1D: engine.GlobalMaxPooling1D,
  GlobalMaxPooling2D: engine.GlobalMaxPooling2D,
  MaxPool1D: engine.MaxPooling1D,
  MaxPool2D: engine.MaxPooling2D,
  AvgPool1D: engine.AveragePooling1D,
  AvgPool2D: engine.AveragePooling2D,
  GlobalAvgPool1D: engine.GlobalAveragePooling1D,
  GlobalAvgPool2D: engine.GlobalAveragePooling2D,
  GlobalMaxPool1D: engine.GlobalMaxPooling1D,
  GlobalMaxPool2D: engine.GlobalMaxPooling2D,
  RandomFlip: engine.RandomFlip,
  RandomRotation: engine.RandomRotation,
  RandomZoom: engine.RandomZoom,
  RandomContrast: engine.RandomContrast,
  RandomTranslation: engine.RandomTranslation,
  RNN: engine.RNN,
  SimpleRNN: engine.SimpleRNN,
  LSTM: engine.LSTM,
  GRU: engine.GRU,
  SimpleRNNCell: engine.SimpleRNNCell,
  LSTMCell: engine.LSTMCell,
  GRUCell: engine.GRUCell,
  Bidirectional: engine.Bidirectional,
  TimeDistributed: engine.TimeDistributed,
  ZeroPadding1D: engine.ZeroPadding1D,
  ZeroPadding2D: engine.ZeroPadding2D,
  Cropping1D: engine.Cropping1D,
  Cropping2D: engine.Cropping2D,
  UpSampling1D: engine.UpSampling1D,
  UpSampling2D: engine.UpSampling2D,
  RepeatVector: engine.RepeatVector,
  Permute: engine.Permute,
  Masking: engine.Masking,
};

// Layer classes the engine gains later are there at run time even before they are typed here.
const modelNames = new Set(["Model", "Functional", "Sequential"]);
const untyped = Object.fromEntries(
  [...engine.builtinLayerClasses()].filter(([name]) => !modelNames.has(name) && !(name in typedLayers)),
);

export const layers: Readonly<typeof typedLayers & Record<string, unknown>> = Object.freeze({
  ...untyped,
  ...typedLayers,
});

type Factory<T> = (config?: core.JsonObject) => T;
function factories<const N extends string, T>(
  names: readonly N[],
  make: (name: N, config: core.JsonObject) => T,
): Readonly<Record<N, Factory<T>>> {
  return Object.freeze(
    Object.fromEntries(names.map((n) => [n, (config: core.JsonObject = {}) => make(n, config)])),
  ) as Record<N, Factory<T>>;
}

const INITIALIZERS = [
  "Zeros",
  "Ones",
  "Constant",
  "RandomNormal",
  "RandomUniform",
  "TruncatedNormal",
  "VarianceScaling",
  "GlorotUniform",
  "GlorotNormal",
  "HeUniform",
  "HeNormal",
  "LecunUniform",
  "LecunNormal",
  "Orthogonal",
  "Identity",
] as const;

/** Initializers by Keras class name, with a Keras config: `keras.initializers.GlorotUniform({ seed: 1 })`. */
export const initializers = Object.freeze({
  ...factories(INITIALIZERS, (name, config) => engine.initializer(name, config)),
  Initializer: engine.Initializer,
  get: (id: engine.InitializerLike) => engine.getInitializer(id, "GlorotUniform"),
  serialize: engine.serializeInitializer,
});

const LOSSES = [
  "MeanSquaredError",
  "MeanAbsoluteError",
  "MeanAbsolutePercentageError",
  "MeanSquaredLogarithmicError",
  "Huber",
  "LogCosh",
  "BinaryCrossentropy",
  "CategoricalCrossentropy",
  "SparseCategoricalCrossentropy",
  "Hinge",
  "SquaredHinge",
  "CategoricalHinge",
  "KLDivergence",
  "Poisson",
  "CosineSimilarity",
] as const;

/**
 * Losses by Keras class name, with a Keras config (`keras.losses.BinaryCrossentropy({ from_logits: true })`),
 * as functions of tensors (`keras.losses.meanSquaredError(yTrue, yPred)`), and by name (`get("mse")`).
 */
export const losses = Object.freeze({
  ...factories(LOSSES, (name, config) => engine.lossFromConfig(name, config)),
  Loss: engine.Loss,
  get: engine.getLoss,
  serialize: engine.serializeLoss,
  meanSquaredError: engine.meanSquaredError,
  meanAbsoluteError: engine.meanAbsoluteError,
  meanAbsolutePercentageError: engine.meanAbsolutePercentageError,
  meanSquaredLogarithmicError: engine.meanSquaredLogarithmicError,
  huber: engine.huber,
  logCosh: engine.logCosh,
  binaryCrossentropy: engine.binaryCrossentropy,
  categoricalCrossentropy: engine.categoricalCrossentropy,
  sparseCategoricalCrossentropy: engine.sparseCategoricalCrossentropy,
  hinge: engine.hinge,
  squaredHinge: engine.squaredHinge,
  categoricalHinge: engine.categoricalHinge,
  klDivergence: engine.klDivergence,
  poisson: engine.poisson,
  cosineSimilarity: engine.cosineSimilarity,
});

const METRICS = [
  "Mean",
  "Sum",
  "MeanSquaredError",
  "MeanAbsoluteError",
  "RootMeanSquaredError",
  "Accuracy",
  "BinaryAccuracy",
  "CategoricalAccuracy",
  "SparseCategoricalAccuracy",
  "TopKCategoricalAccuracy",
  "SparseTopKCategoricalAccuracy",
  "Precision",
  "Recall",
  "AUC",
] as const;

/** Metrics by Keras class name, with a Keras config (`keras.metrics.AUC({ curve: "PR" })`), and by name. */
export const metrics = Object.freeze({
  ...factories(METRICS, (name, config) => engine.metricFromEnvelope({ class_name: name, config })),
  Metric: engine.Metric,
  MeanMetricWrapper: engine.MeanMetricWrapper,
  get: engine.getMetric,
  serialize: engine.serializeMetric,
});

/** Keras's `keras.utils`: custom objects, `.npy` files and host tensors. */
export const utils = Object.freeze({
  /** Runs `fn` (sync or async) with `objects` known to every load and `fromConfig` by name. */
  customObjectScope: engine.customObjectScope,
  /** Registers a class or function for every load, as `@keras.saving.register_keras_serializable`. */
  registerSerializable: registry.registerSerializable,
  registerKerasSerializable: registry.registerSerializable,
  /** The registry `registerSerializable` fills. */
  defaultRegistry: registry.defaultRegistry,
  readNpy: core.readNpy,
  writeNpy: core.writeNpy,
  hostTensor: core.hostTensor,
  zeros: core.zeros,
  formatShape: core.formatShape,
  sizeOf: core.sizeOf,
});

/** Tensor conversions between the host and the backend (`keras.ops`-style). */
export const ops = Object.freeze({
  /** A backend tensor from a host tensor. */
  convertToTensor: engine.toTensor,
  /** A host tensor (float32 or int32) from a backend tensor. */
  convertToNumpy: engine.toHost,
});
