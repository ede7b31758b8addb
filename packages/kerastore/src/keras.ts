import * as engine from "@kerastore/engine";
import { Checkpoint } from "./checkpoint/live-checkpoint.js";
import { CheckpointManager, latestCheckpoint } from "./checkpoint/train.js";
import { initializers, layers, losses, metrics, ops, utils } from "./keras-namespaces.js";
import type { Target } from "./location.js";
import { Model, modelClasses, type SavableModel, Sequential } from "./model-classes.js";
import { type LoadModelOptions, loadModel, type SaveModelOptions, saveModel } from "./model-io.js";
import { loadSavedModel } from "./saved-model-load.js";

/** Loads a whole model; the result can save itself (`model.save`). See `LoadModelOptions`. */
function load(target: Target, options: LoadModelOptions = {}): Promise<SavableModel> {
  return loadModel(target, { ...options, modelClasses }) as Promise<SavableModel>;
}

/** Builds a model from `model.toJson()` text (either Keras dialect), with fresh weights. */
function modelFromJson(
  text: string,
  options: { customObjects?: engine.CustomObjects; weightBudget?: Pick<engine.WeightBudget, "maxBytes"> } = {},
): SavableModel {
  const budget = { maxBytes: options.weightBudget?.maxBytes, where: "the model JSON" };
  return engine.withWeightBudget(budget, () =>
    engine.modelFromJson(text, { customObjects: { ...modelClasses, ...options.customObjects } }),
  ) as SavableModel;
}

/** A copy of a model's architecture with fresh weights (Keras's `clone_model`). */
function cloneModel(model: engine.Model, options: { customObjects?: engine.CustomObjects } = {}): SavableModel {
  return engine.cloneModel(model, { customObjects: { ...modelClasses, ...options.customObjects } }) as SavableModel;
}

/**
 * The `keras` namespace: what `tf.keras` offers, in TypeScript idiom.
 *
 * `await keras.ready()` sets up the WASM backend once (loading and saving do it for you).
 */
export const keras = Object.freeze({
  /** Sets up the tensor backend (WASM SIMD by default). */
  ready: engine.initBackend,
  Input: engine.Input,
  Model,
  Sequential,
  /** Every layer class the engine has (`keras.layers.Conv2D`, `LSTM`, ...). */
  layers,
  models: Object.freeze({
    loadModel: load,
    saveModel: (model: engine.Model, target: Target, options: SaveModelOptions = {}) =>
      saveModel(model, target, options),
    modelFromJson,
    cloneModel,
  }),
  /** Keras 3's optimizers (`new keras.optimizers.Adam({ learningRate: 1e-3 })`) and schedules. */
  optimizers: Object.freeze({
    SGD: engine.SGD,
    Adam: engine.Adam,
    AdamW: engine.AdamW,
    RMSprop: engine.RMSprop,
    Adagrad: engine.Adagrad,
    Adadelta: engine.Adadelta,
    Adamax: engine.Adamax,
    Nadam: engine.Nadam,
    get: engine.getOptimizer,
    schedules: Object.freeze({
      ExponentialDecay: engine.ExponentialDecay,
      PiecewiseConstantDecay: engine.PiecewiseConstantDecay,
      CosineDecay: engine.CosineDecay,
    }),
  }),
  /** Keras's callbacks for `model.fit`. */
  callbacks: Object.freeze({
    Callback: engine.Callback,
    History: engine.History,
    EarlyStopping: engine.EarlyStopping,
    ReduceLROnPlateau: engine.ReduceLROnPlateau,
    LearningRateScheduler: engine.LearningRateScheduler,
    TerminateOnNaN: engine.TerminateOnNaN,
    CSVLogger: engine.CSVLogger,
    LambdaCallback: engine.LambdaCallback,
    ModelCheckpoint: engine.ModelCheckpoint,
  }),
  /** Losses by class (Keras config), as functions, and by name. */
  losses,
  /** Metrics by class (Keras config), and by name. */
  metrics,
  /** Initializers by class (Keras config), and by name. */
  initializers,
  /** customObjectScope, registerSerializable, readNpy / writeNpy, hostTensor. */
  utils,
  /** Host and backend tensors (`convertToTensor`, `convertToNumpy`). */
  ops,
  /** `@tensorflow/tfjs-core`, the tensor library models run on. */
  tf: engine.tf,
  /** `tf.train.Checkpoint` over live models, layers, variables and optimizers. */
  Checkpoint,
  train: Object.freeze({
    Checkpoint,
    latestCheckpoint,
    CheckpointManager,
  }),
  /** SavedModel directories loaded as callable graphs (`tf.saved_model.load`). */
  savedModel: Object.freeze({ load: loadSavedModel }),
});
