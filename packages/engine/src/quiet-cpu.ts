import * as tf from "@tensorflow/tfjs-core";

/**
 * Keeps tfjs's CPU backend from printing its "Hi, looks like you are running TensorFlow.js in
 * Node.js" banner on its first tensor: advice about tfjs-node that does not apply to Kerastore.
 */
export function quietCpuBackend(): void {
  const cpu = tf.engine().findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu !== null && "firstUse" in cpu) cpu.firstUse = false;
}
