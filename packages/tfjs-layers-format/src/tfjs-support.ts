/**
 * What tfjs-layers 4.22 can deserialize: the class names it registers, and the names its
 * activation, initializer, regularizer and constraint lookups accept (after it turns snake_case
 * strings into camelCase, as `convertPythonicToTs` does). Checked against the real package in
 * this package's tests: a name listed here that tfjs-layers refused would fail them.
 */

/** The layer classes of tfjs-layers 4.22 (`tf.serialization` registrations). */
export const TFJS_LAYER_CLASSES: ReadonlySet<string> = new Set([
  "Activation",
  "Add",
  "AlphaDropout",
  "Average",
  "AveragePooling1D",
  "AveragePooling2D",
  "AveragePooling3D",
  "BatchNormalization",
  "Bidirectional",
  "CategoryEncoding",
  "CenterCrop",
  "Concatenate",
  "Conv1D",
  "Conv2D",
  "Conv2DTranspose",
  "Conv3D",
  "Conv3DTranspose",
  "ConvLSTM2D",
  "Cropping2D",
  "Dense",
  "DepthwiseConv2D",
  "Dot",
  "Dropout",
  "ELU",
  "Embedding",
  "Flatten",
  "GRU",
  "GaussianDropout",
  "GaussianNoise",
  "GlobalAveragePooling1D",
  "GlobalAveragePooling2D",
  "GlobalMaxPooling1D",
  "GlobalMaxPooling2D",
  "InputLayer",
  "LSTM",
  "LayerNormalization",
  "LeakyReLU",
  "Masking",
  "MaxPooling1D",
  "MaxPooling2D",
  "MaxPooling3D",
  "Maximum",
  "Minimum",
  "Multiply",
  "PReLU",
  "Permute",
  "RNN",
  "ReLU",
  "RepeatVector",
  "Rescaling",
  "Reshape",
  "Resizing",
  "SeparableConv2D",
  "SimpleRNN",
  "Softmax",
  "SpatialDropout1D",
  "ThresholdedReLU",
  "TimeDistributed",
  "UpSampling2D",
  "ZeroPadding2D",
]);

/** Model classes tfjs-layers rebuilds (as a whole model or nested as a layer). */
export const TFJS_MODEL_CLASSES: ReadonlySet<string> = new Set(["Sequential", "Functional", "Model"]);

/** RNN cells tfjs-layers has (in an `RNN`'s `cell` / `cells`). */
export const TFJS_CELL_CLASSES: ReadonlySet<string> = new Set([
  "SimpleRNNCell",
  "GRUCell",
  "LSTMCell",
  "StackedRNNCells",
]);

/** Activation names tfjs-layers 4.22 knows (Keras spelling). */
export const TFJS_ACTIVATIONS: ReadonlySet<string> = new Set([
  "linear",
  "relu",
  "relu6",
  "elu",
  "selu",
  "sigmoid",
  "hard_sigmoid",
  "tanh",
  "softmax",
  "softplus",
  "softsign",
  "swish",
  "mish",
  "gelu",
  "log_softmax",
]);

/** Keras activation names tfjs-layers spells otherwise, for the same function. */
export const ACTIVATION_RENAMES: Readonly<Record<string, string>> = { silu: "swish" };

/** Initializer classes tfjs-layers knows, by Keras class name; values are tfjs's spelling. */
export const TFJS_INITIALIZERS: Readonly<Record<string, string>> = {
  Zeros: "Zeros",
  Ones: "Ones",
  Constant: "Constant",
  RandomNormal: "RandomNormal",
  RandomUniform: "RandomUniform",
  TruncatedNormal: "TruncatedNormal",
  VarianceScaling: "VarianceScaling",
  GlorotUniform: "GlorotUniform",
  GlorotNormal: "GlorotNormal",
  HeNormal: "HeNormal",
  HeUniform: "HeUniform",
  LecunNormal: "LeCunNormal",
  LecunUniform: "LeCunUniform",
  LeCunNormal: "LeCunNormal",
  LeCunUniform: "LeCunUniform",
  Orthogonal: "Orthogonal",
};

/** Constraint classes tfjs-layers knows. */
export const TFJS_CONSTRAINTS: ReadonlySet<string> = new Set(["MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"]);

/** The weight dtypes a tfjs weights manifest holds unquantized. */
export const TFJS_WEIGHT_DTYPES: ReadonlySet<string> = new Set(["float32", "int32", "bool"]);
