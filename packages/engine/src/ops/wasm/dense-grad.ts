import * as tf from "@tensorflow/tfjs-core";
import { RELU_BIAS_GRAD } from "./conv-bias-relu.js";

// The backward pass of Dense's relu and bias in one kernel: dz = dy * step(y) and the bias
// gradient sum(dz, 0), one pass over [rows, c] (./conv-bias-relu.ts's KerastoreReluBiasGrad,
// which Conv2D with bias and relu uses too) in place of Step, Multiply and Sum: three kernel
// launches and three passes. The same bits as those kernels (dense-grad.test.ts).

/** Whether {@link reluBiasGrad} runs as one kernel here (the WASM backend, float32 2-D). */
export function canFuseReluBiasGrad(dy: tf.Tensor, y: tf.Tensor): boolean {
  return (
    tf.getBackend() === "wasm" &&
    y.rank === 2 &&
    y.dtype === "float32" &&
    dy.dtype === "float32" &&
    tf.getKernel(RELU_BIAS_GRAD, "wasm") !== undefined
  );
}

/** [dz, db]: dy * step(y) and its column sums. */
export function reluBiasGrad(dy: tf.Tensor2D, y: tf.Tensor2D): [tf.Tensor2D, tf.Tensor1D] {
  return tf.engine().runKernel(RELU_BIAS_GRAD, { dy, y } as never) as unknown as [tf.Tensor2D, tf.Tensor1D];
}
