import * as tf from "@tensorflow/tfjs-core";
import { composite, type TensorInfo } from "./composite.js";
import { filterGradByProduct, type Placement, type ProductKernel } from "./conv-filter-grad.js";

// Test helpers: Conv2D's filter gradient by its definition, summed in float64: dW[i, j, c, o] is
// the sum over images and output positions of the input value tap (i, j) reads (zero in the
// padding) times the output gradient (NHWC, dilation 1); test inputs; and the product
// formulation of ./conv-filter-grad.ts run with chosen options.

/** A test convolution: batch, input height, width and channels, output channels, filter, stride, padding. */
export type ConvShape = [
  b: number,
  h: number,
  w: number,
  ci: number,
  co: number,
  k: [number, number],
  stride: [number, number],
  pad: "same" | "valid",
];

/** `n` smooth test values in [-1.5, 1.5], different for each seed. */
export function waveValues(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + seed) * 1.5);
}

/**
 * A test case's inputs for `info`: x and dy from `values` (seeds 1 and 2), as arrays and as
 * tensors, the float64 gradient they give and its largest magnitude (the tolerances' scale).
 */
export function filterGradCase(
  info: tf.backend_util.Conv2DInfo,
  values: (n: number, seed: number) => Float32Array = waveValues,
): { xv: Float32Array; dyv: Float32Array; x: tf.Tensor4D; dy: tf.Tensor4D; want: Float64Array; scale: number } {
  const [b, h, w, ci] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  const [oh, ow, co] = [info.outHeight, info.outWidth, info.outChannels];
  const xv = values(b * h * w * ci, 1);
  const dyv = values(b * oh * ow * co, 2);
  const want = filterGradReference(xv, dyv, info);
  const scale = Math.max(...Array.from(want, Math.abs));
  return { xv, dyv, x: tf.tensor4d(xv, [b, h, w, ci]), dy: tf.tensor4d(dyv, [b, oh, ow, co]), want, scale };
}

/** Options of {@link filterGradOf}: filterGradByProduct's, from `budget` on (undefined: its default). */
export interface ProductOptions {
  budget?: number | undefined;
  views?: boolean | undefined;
  place?: Placement | undefined;
  product?: ProductKernel | undefined;
}

/** The filter gradient of `x` and `dy` by {@link filterGradByProduct}, read back. */
export function filterGradOf(
  x: tf.Tensor,
  dy: tf.Tensor,
  info: tf.backend_util.Conv2DInfo,
  { budget, views, place, product }: ProductOptions,
): Float32Array {
  const inputs = { x: x as unknown as TensorInfo, dy: dy as unknown as TensorInfo };
  const out = composite(tf.backend() as never, inputs, (scope) =>
    filterGradByProduct(scope, inputs.x, inputs.dy, info, budget, views, place, product),
  );
  const t = tf.engine().makeTensorFromTensorInfo(out as never);
  const got = t.dataSync() as Float32Array;
  t.dispose();
  return got;
}

/** The filter gradient [kH, kW, inC, outC] of `x` and `dy` for the convolution `info`. */
export function filterGradReference(x: Float32Array, dy: Float32Array, info: tf.backend_util.Conv2DInfo): Float64Array {
  const [kh, kw, sh, sw] = [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth];
  const [b, h, w, ci] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  const [oh, ow, co] = [info.outHeight, info.outWidth, info.outChannels];
  const out = new Float64Array(kh * kw * ci * co);
  for (let n = 0; n < b; n++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const [y, xx] = [oy * sh + i - info.padInfo.top, ox * sw + j - info.padInfo.left];
            if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
            for (let c = 0; c < ci; c++) {
              const v = x[((n * h + y) * w + xx) * ci + c]!;
              for (let o = 0; o < co; o++)
                out[((i * kw + j) * ci + c) * co + o]! += v * dy[((n * oh + oy) * ow + ox) * co + o]!;
            }
          }
  return out;
}
