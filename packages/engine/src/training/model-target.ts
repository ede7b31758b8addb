import type * as tf from "@tensorflow/tfjs-core";
import type { TrainTarget, TrainableVariable } from "./trainable.js";

/** What {@link modelTarget} needs of a model: the engine's `Model` has all of it. */
export interface CallableModel {
  readonly trainableWeights: readonly TrainableVariable[];
  call(inputs: tf.Tensor | tf.Tensor[], options: { training?: boolean | undefined }): tf.Tensor | tf.Tensor[];
  regularizationLosses?(): tf.Scalar[];
  readonly outputNames?: readonly string[] | undefined;
  /** A functional model's symbolic outputs: their layers name the outputs (`o1_loss`). */
  readonly outputs?: readonly { readonly history: { readonly layer: { readonly name: string } } }[] | undefined;
}

/**
 * A TrainTarget over a model object: forward is `model.call(inputs, { training })`, the extra
 * losses are its regularization losses. Until the engine's Model grows `compile`/`fit`, this
 * is how its models train with these free functions.
 */
export function modelTarget(model: CallableModel): TrainTarget {
  return {
    get trainableVariables() {
      return model.trainableWeights;
    },
    forward(inputs, training) {
      const out = model.call(inputs.length === 1 ? inputs[0]! : [...inputs], { training });
      return Array.isArray(out) ? out : [out];
    },
    extraLosses: () => model.regularizationLosses?.() ?? [],
    outputNames:
      model.outputNames ??
      (model.outputs !== undefined && model.outputs.length > 0
        ? model.outputs.map((t) => t.history.layer.name)
        : undefined),
  };
}
