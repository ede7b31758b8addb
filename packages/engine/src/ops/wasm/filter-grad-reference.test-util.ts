import type * as tf from "@tensorflow/tfjs-core";

// Test helper: Conv2D's filter gradient by its definition, summed in float64: dW[i, j, c, o] is
// the sum over images and output positions of the input value tap (i, j) reads (zero in the
// padding) times the output gradient. NHWC, dilation 1.

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
