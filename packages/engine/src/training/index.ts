// The training barrel: optimizers, schedules, losses, metrics, callbacks, compile and the
// fit/evaluate/predict loop as free functions over a TrainTarget, plus the fast ops.
export { type DenseActivation, type DenseOptions, dense, isDenseActivation } from "../ops/dense.js";
export { assertGradients, hasGradients, registerGradients } from "../ops/gradients.js";
export { installWasmFallbacks, wasmFallbackUses } from "../ops/kernel-fallback.js";
export { type SparseGradient, embeddingLookup, recordSparseGradients, segmentSumOf } from "../ops/embedding-lookup.js";
export { matMul, plainProduct } from "../ops/matmul.js";
export { Callback, type CallbackContext, CallbackList, History, type Logs } from "./callbacks/callback.js";
export { EarlyStopping, type EarlyStoppingArgs } from "./callbacks/early-stopping.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from "./callbacks/reduce-lr.js";
export { CSVLogger, type CSVLoggerArgs } from "./callbacks/csv-logger.js";
export { LambdaCallback, type LambdaCallbackArgs } from "./callbacks/lambda-callback.js";
export { LearningRateScheduler } from "./callbacks/learning-rate-scheduler.js";
export { ModelCheckpoint, type ModelCheckpointArgs, formatPath } from "./callbacks/model-checkpoint.js";
export { TerminateOnNaN } from "./callbacks/terminate-on-nan.js";
export { ProgbarLogger, type ProgressSink, formatBar, formatLogs, formatPerUnit, formatValue, stdoutSink } from "./callbacks/progbar.js";
export { type CompileOptions, Compiled, compile, compileOptionsFromConfig } from "./compile.js";
export { type TensorOrList, batchRanges, classWeightsToSampleWeights, permutation, splitIndex } from "./data.js";
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
} from "./fit.js";
export { attachLogits, attachedLogits } from "./losses/logits.js";
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
} from "./losses/loss-functions.js";
export { type CustomLossFunction, Loss, type LossLike, type Reduction, getLoss, lossClassFor, lossFromConfig, serializeLoss } from "./losses/loss.js";
export { AUC, type AUCArgs, Precision, type PrecisionRecallArgs, Recall } from "./metrics/confusion.js";
export { type MetricContext, type MetricLike, getMetric, metricFromEnvelope, serializeMetric } from "./metrics/get-metric.js";
export { Mean, MeanMetricWrapper, Metric, type MetricFunction, RootMeanSquaredError, Sum } from "./metrics/metric.js";
export { Adadelta, type AdadeltaArgs } from "./optimizers/adadelta.js";
export { Adagrad, type AdagradArgs } from "./optimizers/adagrad.js";
export { Adam, type AdamArgs, AdamW } from "./optimizers/adam.js";
export { Adamax, type AdamaxArgs } from "./optimizers/adamax.js";
export { type OptimizerLike, getOptimizer, optimizerClassNames, optimizerFromConfig, serializeOptimizer } from "./optimizers/get-optimizer.js";
export { Nadam, type NadamArgs } from "./optimizers/nadam.js";
export { Optimizer, type OptimizerArgs, type OptimizerVariable, slotPrefix } from "./optimizers/optimizer.js";
export {
  type Keras2Layout,
  type Keras2OptimizerWeight,
  type Keras2WeightsOptions,
  keras2OptimizerWeights,
  setKeras2OptimizerWeights,
} from "./optimizers/keras2-weights.js";
export { optimizerFromSavedNode, optimizerToSavedNode } from "./optimizers/optimizer-tree.js";
export { RMSprop, type RMSpropArgs } from "./optimizers/rmsprop.js";
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
} from "./optimizers/schedules.js";
export { SGD, type SGDArgs } from "./optimizers/sgd.js";
export { type CallableModel, modelTarget } from "./model-target.js";
export type { TrainTarget, TrainableVariable } from "./trainable.js";
