// Subnormal float32 values (magnitude under 2^-126) take the processor's slow path in every
// arithmetic instruction that reads or writes one: a convolution's filter gradient over them runs
// ~60x slower. TensorFlow's CPU kernels run with them flushed to zero (FTZ/DAZ); WebAssembly cannot
// set those modes, and XNNPACK's products turn tiny normal inputs into subnormal products. So the
// gradient kernels that start a layer's backward pass (the softmax crossentropy's logit gradient,
// the ReLU-and-bias gradient, the ReLU's own gradient of ./relu-train.ts, also inside batch
// normalization's gradient when a ReLU follows) set every value under 2^-100 to zero: a product
// of such a value with a factor over 2^-26 stays normal. No float32 training reacts to a gradient that small: an SGD step
// of it moves no weight over 2^-76 (it is under half an ulp), and Adam's and RMSprop's steps divide
// it by their epsilon (1e-7 in Keras), giving under 2^-76 too. (packages/bench/src/subnormal-profile.ts
// measures the slowdown this removes.)

/** Gradient values smaller than this in magnitude are flushed to zero: 2^-100 (7.9e-31). */
export const GRADIENT_FLUSH_BELOW = 2 ** -100;

/** `v`, or a zero of its sign where |v| < {@link GRADIENT_FLUSH_BELOW}. */
export function flushTiny(v: number): number {
  return Math.abs(v) < GRADIENT_FLUSH_BELOW ? v * 0 : v;
}
