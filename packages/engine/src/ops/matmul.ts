import * as tf from "@tensorflow/tfjs-core";
import { OWN_MATMUL, ownMatMulApplies } from "./wasm/own-matmul.js";

/**
 * `a @ b` for 2-D tensors, with a gradient made of explicit transposes and plain products.
 *
 * tfjs's own `matMul` gradient multiplies with `transposeA` / `transposeB`, which the WASM
 * backend runs 10-27x slower than a plain product (256x512 by 512x512: 5 ms plain, 59 ms with
 * `transposeB`, 136 ms with `transposeA`); transposing first and then multiplying costs 5-7 ms.
 */
export function matMul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMulGrad(a, b) as tf.Tensor2D;
}

const matMulGrad = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [plainProduct(dy as tf.Tensor2D, tf.transpose(sb)), plainProduct(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/**
 * A product with no transposed operand: the fast path on every backend. On WASM, the engine's
 * own SIMD product (./wasm/own-matmul.ts: nothing packed, fused multiply-adds, split over the
 * kernel pool) where it runs on as many threads as XNNPACK.
 */
export function plainProduct(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (
    tf.getBackend() === "wasm" &&
    tf.getKernel(OWN_MATMUL, "wasm") !== undefined &&
    ownMatMulApplies(tf.backend(), a, b)
  )
    return tf.engine().runKernel(OWN_MATMUL, { a, b }) as tf.Tensor2D;
  return tf.matMul(a, b, false, false);
}
