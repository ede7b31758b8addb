export {
  type Activation as ActivationInfo,
  type ActivationFn,
  type ActivationLike,
  activationNames,
  changedDefinition,
  getActivation,
  serializeActivation,
} from "./activations.js";
export { layersWithOtherDefinitions } from "./activation-definitions.js";
export {
  type BackendName,
  type InitBackendOptions,
  type WasmThreading,
  initBackend,
  wasmThreading,
} from "./backend.js";
export { type RuntimeHooks, runtimeHooks, setRuntimeHooks } from "./runtime-hooks.js";
export { builtinLayerClasses, installBuiltins } from "./builtins.js";
export { type ConfigField, type FieldCodec, field } from "./config-fields.js";
export {
  Constraint,
  type ConstraintLike,
  constraint,
  constraintNames,
  getConstraint,
  serializeConstraint,
} from "./constraints.js";
export { customObjectScope, scopedObjects } from "./custom-scope.js";
export { deserializeLayer, layerClass } from "./deserialize.js";
export { isKeras1Version, isPythonCodeLayer, keras1Key, refuseKeras1Version } from "./layer-refusals.js";
export { EngineError, type EngineErrorCode } from "./errors.js";
export {
  Initializer,
  type InitializerLike,
  getInitializer,
  initializer,
  initializerCalls,
  initializerNames,
  serializeInitializer,
} from "./initializers.js";
export { type CustomObjects, type FromConfigContext, kerasMajor } from "./keras-object.js";
export {
  type AddWeightOptions,
  type CallOptions,
  Layer,
  type LayerArgs,
  type LayerClass,
  initializeUnloaded,
} from "./layer.js";
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
export { type ModelData, toHost, toTensor } from "./model-training.js";
export { type CompileFromSavedOptions, compileFromSaved, isKeras2TrainingConfig } from "./compile-saved.js";
export { clearSession, toSnakeCase, uniqueName } from "./names.js";
export {
  Regularizer,
  type RegularizerLike,
  getRegularizer,
  regularizer,
  regularizerNames,
  serializeRegularizer,
} from "./regularizers.js";
export { Sequential, type SequentialArgs } from "./sequential.js";
export { KerasTensor, type KerasHistory, type LayerNode, type Shape } from "./symbolic.js";
export { Variable, type WeightValue } from "./variable.js";
export {
  DEFAULT_CONFIG_BUDGET_BYTES,
  DEFAULT_WEIGHT_BUDGET_BYTES,
  type FileWeightSizes,
  type WeightBudget,
  initializersDeferred,
  withWeightBudget,
} from "./weight-budget.js";
export { type SummaryOptions, readableSize, summary } from "./summary.js";
export {
  type ApplyOptions,
  type MatchMode,
  type ToSavedOptions,
  WRITTEN_KERAS_VERSION,
  applySavedTree,
  fromSavedModelData,
  layerToSavedNode,
  toSavedModelData,
} from "./saved-tree.js";
export { savedWeightList } from "@kerastore/core";
export { type MatchWeightsOptions, matchWeights } from "./weight-matcher.js";
export { type CheckpointTreeOptions, toCheckpointTree } from "./checkpoint-tree.js";
export {
  type CheckpointOptimizer,
  type CheckpointOptimizerVariable,
  LiveBinding,
  isCheckpointOptimizer,
  optimizerOf,
} from "./live-binding.js";
export { cloneModel } from "./clone.js";
export { modelFromJson } from "./model-json.js";
export { tf } from "./tf.js";
export { Conv1D, Conv2D, Conv2DTranspose, type ConvArgs, DepthwiseConv2D, SeparableConv2D } from "./layers/conv.js";
export { Embedding, type EmbeddingArgs } from "./layers/embedding.js";
export {
  BatchNormalization,
  type BatchNormalizationArgs,
  LayerNormalization,
  type LayerNormalizationArgs,
} from "./layers/normalization.js";
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
export {
  Cropping1D,
  Cropping2D,
  Masking,
  Permute,
  RepeatVector,
  UpSampling1D,
  UpSampling2D,
  ZeroPadding1D,
  ZeroPadding2D,
} from "./layers/reshaping.js";
export { Bidirectional, TimeDistributed } from "./layers/wrappers.js";
export { extraLayerClasses } from "./layers/extra-builtins.js";
export { flipConvKernel } from "./layers/layer-utils.js";
// Training: compile, fit and the rest as free functions over a TrainTarget, optimizers,
// losses, metrics, callbacks, and the fast ops they run on (see docs/training.md).
export { type DenseActivation, type DenseOptions, dense, isDenseActivation } from "./ops/dense.js";
export { assertGradients, hasGradients, registerGradients } from "./ops/gradients.js";
export { installWasmFallbacks, isWasmFallback, wasmFallbackUses } from "./ops/kernel-fallback.js";
export { registerWasmKernels, wasmCompositeKernels } from "./ops/wasm/index.js";
export { type SparseGradient, embeddingLookup, recordSparseGradients, segmentSumOf } from "./ops/embedding-lookup.js";
export { matMul, plainProduct } from "./ops/matmul.js";
export { Callback, type CallbackContext, CallbackList, History, type Logs } from "./training/callbacks/callback.js";
export { EarlyStopping, type EarlyStoppingArgs } from "./training/callbacks/early-stopping.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from "./training/callbacks/reduce-lr.js";
export { CSVLogger, type CSVLoggerArgs } from "./training/callbacks/csv-logger.js";
export { LambdaCallback, type LambdaCallbackArgs } from "./training/callbacks/lambda-callback.js";
export { LearningRateScheduler } from "./training/callbacks/learning-rate-scheduler.js";
export { ModelCheckpoint, type ModelCheckpointArgs, formatPath } from "./training/callbacks/model-checkpoint.js";
export { TerminateOnNaN } from "./training/callbacks/terminate-on-nan.js";
export {
  ProgbarLogger,
  type ProgressSink,
  formatBar,
  formatLogs,
  formatPerUnit,
  formatValue,
  stdoutSink,
} from "./training/callbacks/progbar.js";
export { type CompileOptions, Compiled, compile, compileOptionsFromConfig } from "./training/compile.js";
export {
  type TensorOrList,
  batchRanges,
  classWeightsToSampleWeights,
  permutation,
  splitIndex,
} from "./training/data.js";
export {
  type EvaluateOptions,
  type FitOptions,
  type Verbosity,
  evaluate,
  fit,
  predict,
  predictOnBatch,
  prepareTraining,
  testOnBatch,
  trainOnBatch,
} from "./training/fit.js";
export { attachLogits, attachedLogits } from "./training/losses/logits.js";
export {
  type CrossentropyOptions,
  type LossFunction,
  binaryCrossentropy,
  categoricalCrossentropy,
  categoricalHinge,
  cosineSimilarity,
  hinge,
  huber,
  klDivergence,
  logCosh,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  meanSquaredLogarithmicError,
  poisson,
  sparseCategoricalCrossentropy,
  squaredHinge,
} from "./training/losses/loss-functions.js";
export {
  type CustomLossFunction,
  Loss,
  type LossLike,
  type Reduction,
  getLoss,
  lossClassFor,
  lossClassNames,
  lossFromConfig,
  serializeLoss,
} from "./training/losses/loss.js";
export { AUC, type AUCArgs, Precision, type PrecisionRecallArgs, Recall } from "./training/metrics/confusion.js";
export {
  type MetricContext,
  type MetricLike,
  getMetric,
  metricClassNames,
  metricFromEnvelope,
  serializeMetric,
} from "./training/metrics/get-metric.js";
export {
  Mean,
  MeanMetricWrapper,
  Metric,
  type MetricFunction,
  RootMeanSquaredError,
  Sum,
} from "./training/metrics/metric.js";
export { Adadelta, type AdadeltaArgs } from "./training/optimizers/adadelta.js";
export { Adagrad, type AdagradArgs } from "./training/optimizers/adagrad.js";
export { Adam, type AdamArgs, AdamW } from "./training/optimizers/adam.js";
export { Adamax, type AdamaxArgs } from "./training/optimizers/adamax.js";
export {
  type OptimizerLike,
  getOptimizer,
  optimizerClassNames,
  optimizerFromConfig,
  serializeOptimizer,
} from "./training/optimizers/get-optimizer.js";
export { Nadam, type NadamArgs } from "./training/optimizers/nadam.js";
export { Optimizer, type OptimizerArgs, type OptimizerVariable, slotPrefix } from "./training/optimizers/optimizer.js";
export {
  type Keras2Layout,
  type Keras2OptimizerWeight,
  type Keras2WeightsOptions,
  keras2OptimizerWeights,
  setKeras2OptimizerWeights,
} from "./training/optimizers/keras2-weights.js";
export { optimizerFromSavedNode, optimizerToSavedNode } from "./training/optimizers/optimizer-tree.js";
export { RMSprop, type RMSpropArgs } from "./training/optimizers/rmsprop.js";
export {
  CosineDecay,
  type CosineDecayArgs,
  ExponentialDecay,
  type ExponentialDecayArgs,
  type LearningRateSchedule,
  PiecewiseConstantDecay,
  type PiecewiseConstantDecayArgs,
  deserializeSchedule,
  serializeSchedule,
} from "./training/optimizers/schedules.js";
export { SGD, type SGDArgs } from "./training/optimizers/sgd.js";
export { type CallableModel, modelTarget } from "./training/model-target.js";
export type { TrainTarget, TrainableVariable } from "./training/trainable.js";

// The entry point installs the built-ins (idempotent), so that users never have to.
import { installBuiltins } from "./builtins.js";
installBuiltins();
// Layer breadth (issue 20).
export { AdditiveAttention, Attention, type AttentionArgs } from "./layers/attention.js";
export { ELU, PReLU, type PReLUArgs, ThresholdedReLU } from "./layers/advanced-activations.js";
export type { ConvTransposeArgs } from "./layers/conv.js";
export { Conv1DTranspose, Conv3D, Conv3DTranspose } from "./layers/conv3d.js";
export { ConvLSTM2D, type ConvLSTM2DArgs } from "./layers/conv-lstm.js";
export { CuDNNGRU, CuDNNLSTM, cudnnToCanonicalWeights, isCudnnRecurrent } from "./layers/cudnn-recurrent.js";
export { LocallyConnected1D, LocallyConnected2D, type LocallyConnectedArgs } from "./layers/locally-connected.js";
export { type LocalGeometry, localGeometry } from "./layers/locally-connected-geometry.js";
export { Dot, type DotArgs } from "./layers/dot.js";
export { CategoryEncoding, CenterCrop, type ImageSizeArgs, Resizing } from "./layers/image-preprocessing.js";
export { MultiHeadAttention, type MultiHeadAttentionArgs } from "./layers/multi-head-attention.js";
export {
  LayerScale,
  type LayerScaleArgs,
  StochasticDepth,
  type StochasticDepthArgs,
} from "./layers/application-layers.js";
export { KerasOperation, supportedOperations } from "./layers/operations.js";
export {
  ActivityRegularization,
  AlphaDropout,
  GaussianDropout,
  GaussianNoise,
  SpatialDropout1D,
  SpatialDropout2D,
  SpatialDropout3D,
  type SpatialDropoutArgs,
} from "./layers/noise.js";
export {
  GroupNormalization,
  type GroupNormalizationArgs,
  Normalization,
  type NormalizationArgs,
  UnitNormalization,
} from "./layers/normalization-extra.js";
export {
  AveragePooling3D,
  Cropping3D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  MaxPooling3D,
  UpSampling3D,
  ZeroPadding3D,
} from "./layers/volumetric.js";
