export { type Activation as ActivationInfo, type ActivationFn, type ActivationLike, activationNames, getActivation, serializeActivation } from "./activations.js";
export { type BackendName, type InitBackendOptions, defaultWasmDir, initBackend } from "./backend.js";
export { builtinLayerClasses } from "./builtins.js";
export { type ConfigField, type FieldCodec, field } from "./config-fields.js";
export { Constraint, type ConstraintLike, constraint, constraintNames, getConstraint, serializeConstraint } from "./constraints.js";
export { customObjectScope, deserializeLayer, layerClass } from "./deserialize.js";
export { EngineError, type EngineErrorCode } from "./errors.js";
export { Initializer, type InitializerLike, getInitializer, initializer, initializerNames, serializeInitializer } from "./initializers.js";
export { type CustomObjects, type FromConfigContext, kerasMajor } from "./keras-object.js";
export { type AddWeightOptions, type CallOptions, Layer, type LayerArgs, type LayerClass } from "./layer.js";
export { LeakyReLU, ReLU, type ReLUArgs, Softmax } from "./layers/activation-layers.js";
export {
  ActivationLayer as Activation,
  type ActivationArgs,
  Dropout,
  type DropoutArgs,
  Flatten,
  Identity,
  Reshape,
  type ReshapeArgs,
  Rescaling,
  type RescalingArgs,
} from "./layers/core.js";
export { Dense, type DenseArgs } from "./layers/dense.js";
export { Input, type InputArgs, InputLayer, type InputLayerArgs } from "./layers/input-layer.js";
export { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from "./layers/merge.js";
export { Model, type ModelArgs, type PredictInput, type PredictOptions, serializeLayer } from "./model.js";
export { clearSession, toSnakeCase, uniqueName } from "./names.js";
export { Regularizer, type RegularizerLike, getRegularizer, regularizer, regularizerNames, serializeRegularizer } from "./regularizers.js";
export { Sequential, type SequentialArgs } from "./sequential.js";
export { KerasTensor, type KerasHistory, type LayerNode, type Shape } from "./symbolic.js";
export { Variable, type WeightValue } from "./variable.js";
export { type SummaryOptions, readableSize, summary } from "./summary.js";
export {
  type ApplyOptions,
  type MatchMode,
  type ToSavedOptions,
  WRITTEN_KERAS_VERSION,
  applySavedTree,
  fromSavedModelData,
  layerToSavedNode,
  savedWeightList,
  toSavedModelData,
} from "./saved-tree.js";
export { cloneModel } from "./clone.js";
export { modelFromJson } from "./model-json.js";
export { tf } from "./tf.js";
export { Conv1D, Conv2D, Conv2DTranspose, type ConvArgs, DepthwiseConv2D, SeparableConv2D } from "./layers/conv.js";
export { Embedding, type EmbeddingArgs } from "./layers/embedding.js";
export { BatchNormalization, type BatchNormalizationArgs, LayerNormalization, type LayerNormalizationArgs } from "./layers/normalization.js";
export {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from "./layers/pooling.js";
export { RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom } from "./layers/preprocessing.js";
export { GRUCell, LSTMCell, SimpleRNNCell } from "./layers/recurrent-cells.js";
export { GRU, LSTM, RNN, SimpleRNN } from "./layers/recurrent.js";
export { Cropping1D, Cropping2D, Masking, Permute, RepeatVector, UpSampling1D, UpSampling2D, ZeroPadding1D, ZeroPadding2D } from "./layers/reshaping.js";
export { Bidirectional, TimeDistributed } from "./layers/wrappers.js";
export { extraLayerClasses } from "./layers/extra-builtins.js";
export { flipConvKernel } from "./layers/layer-utils.js";
