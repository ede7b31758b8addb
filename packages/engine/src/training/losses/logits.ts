import type * as tf from "@tensorflow/tfjs-core";

// Outputs of a softmax or sigmoid, mapped to the logits they came from.
const logitsOf = new WeakMap<tf.Tensor, tf.Tensor>();

/**
 * Records that `output` is `softmax(logits)` or `sigmoid(logits)`.
 *
 * Keras computes crossentropy from the logits when a model ends in a softmax or sigmoid
 * activation (`_keras_logits`), which is both more exact and what makes our numbers match its
 * trajectories; layers that apply those activations should call this.
 */
export function attachLogits(output: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  logitsOf.set(output, logits);
  return output;
}

/** The logits an output came from, if {@link attachLogits} recorded them. */
export function attachedLogits(output: tf.Tensor): tf.Tensor | undefined {
  return logitsOf.get(output);
}
