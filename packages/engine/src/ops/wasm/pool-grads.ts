import * as tf from "@tensorflow/tfjs-core";
import { type KernelBackend, type TensorInfo, composite, placeStrided } from "./composite.js";

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
}

type Args = { inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo }; attrs: PoolAttrs; backend: KernelBackend };

/**
 * MaxPool's input gradient on WASM kernels, routing each window's gradient to the first of its
 * maxima in row-major order, as TensorFlow does (WASM's own MaxPoolGrad takes the last; its
 * MaxPoolWithArgmax and Dilation2D start from the smallest positive float, wrong for negative
 * windows).
 *
 * Windows that tile the input (pool size = stride, the usual case) go through
 * {@link maxPoolGradTiled}; others through {@link maxPoolGradByTaps}.
 */
export function maxPoolGrad(args: Args): TensorInfo {
  const info = poolInfo(args);
  const tiled = info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth;
  return tiled ? maxPoolGradTiled(args, info) : maxPoolGradByTaps(args);
}

function poolInfo({ inputs, attrs }: Args): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(inputs.input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * Non-overlapping windows: two transposes bring the input to [tap, rest] (tap = row-major
 * position in the window, rest = batch, output rows and columns, channels), where every tap is
 * one contiguous row and every step is an XNNPACK elementwise op on whole rows: a tap holds the
 * maximum where `step(max - x)` is 0 (exact: the difference of two floats is 0 only when they are
 * equal), and takes the gradient there unless an earlier tap did. Two transposes put it back.
 */
function maxPoolGradTiled({ inputs, backend }: Args, info: tf.backend_util.Conv2DInfo): TensorInfo {
  return composite(backend, inputs, (k) => {
    const { dy, input, output } = inputs;
    const p = info.padInfo;
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [b, oh, ow, c] = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    const [h, w] = [info.inHeight, info.inWidth];
    // The rows and columns the windows cover, padding (never a maximum) included.
    const padded = k.pad(input, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], Number.NEGATIVE_INFINITY);
    const fitted = k.slice(padded, [0, 0, 0, 0], [b, oh * sh, ow * sw, c]);
    // [b, oh, sh, ow, sw, c] -> [sw, b*oh*sh*ow, c] -> [sh, sw*b*oh, ow*c]: [tap, rest].
    const byCol = k.transpose(k.reshape(fitted, [b * oh * sh * ow, sw, c]), [1, 0, 2]);
    const byTap = k.transpose(k.reshape(byCol, [sw * b * oh, sh, ow * c]), [1, 0, 2]);
    const n = b * oh * ow * c;
    const taps = k.reshape(byTap, [sh * sw, n]);
    const max = k.reshape(output, [1, n]);
    const grad = k.reshape(dy, [1, n]);
    const one = k.scalar(1, input.dtype);
    // isMax[t] = 1 - step(max - x[t]).
    const isMax = k.run("Sub", { a: one, b: k.run("Step", { x: k.run("Sub", { a: max, b: taps }) }, { alpha: 0 }) });
    const parts: TensorInfo[] = [];
    let taken: TensorInfo | undefined;
    for (let t = 0; t < sh * sw; t++) {
      const here = k.slice(isMax, [t, 0], [1, n]);
      const first = taken === undefined ? here : k.run("Multiply", { a: here, b: k.run("Sub", { a: one, b: taken }) });
      taken = taken === undefined ? here : k.run("Maximum", { a: taken, b: here });
      parts.push(k.run("Multiply", { a: first, b: grad }));
    }
    const routed = k.run("Concat", parts as never, { axis: 0 });
    // Back: [sh, sw*b*oh, ow*c] -> [sw*b*oh, sh, ow*c] = [sw, b*oh*sh*ow, c] -> [b*oh*sh*ow, sw, c].
    const unTap = k.transpose(k.reshape(routed, [sh, sw * b * oh, ow * c]), [1, 0, 2]);
    const unCol = k.transpose(k.reshape(unTap, [sw, b * oh * sh * ow, c]), [1, 0, 2]);
    const dx = k.reshape(unCol, [b, oh * sh, ow * sw, c]);
    // Drop the padding, add back the rows and columns no window read.
    const keptH = Math.min(oh * sh - p.top, h);
    const keptW = Math.min(ow * sw - p.left, w);
    const kept = k.slice(dx, [0, p.top, p.left, 0], [b, keptH, keptW, c]);
    return k.pad(kept, [[0, 0], [0, h - keptH], [0, w - keptW], [0, 0]]);
  });
}

/**
 * MaxPool's input gradient for any padding, tap by tap: per window tap (i, j), the input values
 * the tap sees ([batch, outH, outW, channels]) equal to the window's maximum, and no earlier
 * tap's, take the output gradient; placed where the tap read the input and summed over taps.
 */
export function maxPoolGradByTaps({ inputs, attrs, backend }: Args): TensorInfo {
  return composite(backend, inputs, (k) => {
    const { dy, input, output } = inputs;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const p = info.padInfo;
    const [sh, sw] = [info.strideHeight, info.strideWidth];
    const [b, oh, ow, c] = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    const size: [number, number] = [info.inHeight + p.top + p.bottom, info.inWidth + p.left + p.right];
    const padded = k.pad(input, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]], Number.NEGATIVE_INFINITY);
    let taken: TensorInfo | undefined;
    const placed: TensorInfo[] = [];
    for (let i = 0; i < info.filterHeight; i++) {
      for (let j = 0; j < info.filterWidth; j++) {
        const seen = k.stridedSlice(padded, [0, i, j, 0], [b, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, c], [1, sh, sw, 1]);
        const isMax = k.run("Equal", { a: seen, b: output });
        const first = taken === undefined ? isMax : k.run("LogicalAnd", { a: isMax, b: k.run("LogicalNot", { x: taken }) });
        taken = taken === undefined ? isMax : k.run("LogicalOr", { a: taken, b: isMax });
        const g = k.run("Multiply", { a: dy, b: k.run("Cast", { x: first }, { dtype: dy.dtype }) });
        placed.push(placeStrided(k, g, [sh, sw], [i, j], size));
      }
    }
    const sum = placed.length === 1 ? placed[0]! : k.run("AddN", placed as never);
    return k.slice(sum, [0, p.top, p.left, 0], input.shape);
  });
}
