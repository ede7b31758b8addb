import type * as tf from "@tensorflow/tfjs-core";

/**
 * What training needs of a model variable. The engine's `Variable` satisfies it.
 */
export interface TrainableVariable {
  /** The tfjs variable holding the value. */
  readonly value: tf.Variable;
  /** The Keras 3 path (`sequential/dense/kernel`): slot names derive from it. */
  readonly path: string;
  /** A projection applied after each update, if any. */
  readonly constraint?: { apply(w: tf.Tensor): tf.Tensor } | null | undefined;
}

/**
 * What the training loop needs of a model. The engine's `Model` can satisfy it by delegating:
 * its trainable weights, a forward pass in training or inference mode, and its added losses.
 */
export interface TrainTarget {
  /** The weights the optimizer updates, in Keras's `model.trainable_variables` order. */
  readonly trainableVariables: readonly TrainableVariable[];
  /** Runs the model on a batch (one tensor per model input); one tensor per output. */
  forward(inputs: readonly tf.Tensor[], training: boolean): tf.Tensor[];
  /** Regularization and `addLoss` losses of the last forward pass (scalars), if any. */
  extraLosses?(): tf.Scalar[];
  /** The output names, for multi-output loss/metric names (`out_loss`); default `output_<i>`. */
  readonly outputNames?: readonly string[] | undefined;
}
