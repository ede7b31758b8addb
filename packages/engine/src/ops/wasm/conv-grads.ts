import * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "../../errors.js";
import {
  composite,
  heapF32,
  type KernelBackend,
  placeStrided,
  type TensorInfo,
  type WasmKernelScope,
} from "./composite.js";
import { filterGradByProduct, productIsFaster } from "./conv-filter-grad.js";
import { convByProduct, convProductApplies } from "./conv-gemm.js";
import { stridedInputGrad } from "./conv-input-grad-strided.js";

// Convolution gradients the WASM backend lacks, built from its native kernels (XNNPACK
// convolutions, transposes, pads, elementwise ops) instead of tfjs-backend-cpu's loops.

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
  dataFormat?: "NHWC" | "NCHW";
  dilations?: number | [number, number];
}

type Args<I, A> = { inputs: I; attrs: A; backend: KernelBackend };

/** `[[0,0],[top,bottom],[left,right],[0,0]]` of a convolution. */
function spatialPads(info: tf.backend_util.Conv2DInfo): Array<[number, number]> {
  const p = info.padInfo;
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/**
 * Conv2D's filter gradient: as one matrix product (./conv-filter-grad.ts) where that measured
 * faster, else as one convolution: with the padded input's batch and channel axes
 * swapped ([inC, H, W, batch]) and the output gradient as the filter ([outH, outW, batch, outC],
 * dilated by the stride), a valid convolution gives [inC, kH, kW, outC]: for each filter tap,
 * the sum over batch and output positions of input times output gradient.
 */
export function conv2DBackpropFilter({
  inputs,
  attrs,
  backend,
}: Args<{ x: TensorInfo; dy: TensorInfo }, ConvAttrs & { filterShape: [number, number, number, number] }>): TensorInfo {
  return composite(backend, inputs, (k) => {
    let { x, dy } = inputs;
    if (attrs.dataFormat === "NCHW") {
      x = k.transpose(x, [0, 2, 3, 1]);
      dy = k.transpose(dy, [0, 2, 3, 1]);
    }
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (x.dtype === "float32" && dy.dtype === "float32" && productIsFaster(info))
      return filterGradByProduct(k, x, dy, info);
    return filterGradByConvolution(k, x, dy, info);
  });
}

/** Conv2D's filter gradient (NHWC) as the one convolution of {@link conv2DBackpropFilter}. */
export function filterGradByConvolution(
  k: WasmKernelScope,
  x: TensorInfo,
  dy: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [b, oh, ow, co] = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  const padded = k.pad(x, spatialPads(info));
  // The rows and columns the windows read (a valid strided convolution may leave some out).
  const used = k.slice(padded, [0, 0, 0, 0], [b, (oh - 1) * sh + kh, (ow - 1) * sw + kw, info.inChannels]);
  const xt = k.transpose(used, [3, 1, 2, 0]);
  const filter = k.transpose(dy, [1, 2, 0, 3]);
  if (filter.shape[3] !== co)
    throw new EngineError(
      "invalid-shape",
      "cannot run Conv2DBackpropFilter: the gradient's shape is not the one the filter needs",
    );
  const r = k.run(
    "Conv2D",
    { x: xt, filter },
    { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [sh, sw] },
  );
  return k.transpose(r, [1, 2, 0, 3]);
}

/**
 * Conv2D's input gradient as XNNPACK convolutions (WASM's own kernel is a plain loop, ~13x
 * slower): at stride > 1 one per phase (./conv-input-grad-strided.ts); else the output gradient, dilated by the stride and padded to a "full" convolution,
 * convolved with the filter turned by 180 degrees and its channel axes swapped.
 */
export function conv2DBackpropInput({
  inputs,
  attrs,
  backend,
}: Args<
  { dy: TensorInfo; filter: TensorInfo },
  ConvAttrs & { inputShape: [number, number, number, number] }
>): TensorInfo {
  const nhwc = attrs.dataFormat !== "NCHW";
  const inputShape = nhwc
    ? attrs.inputShape
    : ([attrs.inputShape[0], attrs.inputShape[2], attrs.inputShape[3], attrs.inputShape[1]] as [
        number,
        number,
        number,
        number,
      ]);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    inputs.filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const dh = (info.outHeight - 1) * sh + 1;
  const dw = (info.outWidth - 1) * sw + 1;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight + kh - 1 - dh - top;
  const right = info.inWidth + kw - 1 - dw - left;
  if (nhwc && (sh > 1 || sw > 1) && inputs.dy.dtype === "float32" && inputs.filter.dtype === "float32")
    return composite(backend, inputs, (k) => stridedInputGrad(k, inputs.dy, inputs.filter, info));
  if (Math.min(top, left, bottom, right) < 0) {
    return composite(backend, inputs, (k) => k.run("Conv2DBackpropInput", inputs, attrs as never, true));
  }
  const [, , ci, co] = inputs.filter.shape as [number, number, number, number];
  const own = sh === 1 && sw === 1 && inputs.dy.dtype === "float32" && inputs.filter.dtype === "float32";
  if (own && top < kh && left < kw && convProductApplies(backend, co, ci, "input-grad"))
    // Stride 1 on our product (./conv-gemm.ts): the "full" convolution with the turned filter.
    return composite(backend, inputs, (k) => {
      const dy = nhwc ? inputs.dy : k.transpose(inputs.dy, [0, 2, 3, 1]);
      const place = { outHeight: info.inHeight, outWidth: info.inWidth, top, left };
      const dx = convByProduct(k, dy, turnedFilter(k, inputs.filter), place);
      return nhwc ? dx : k.transpose(dx, [0, 3, 1, 2]);
    });
  return composite(backend, inputs, (k) => {
    let dy = inputs.dy;
    if (!nhwc) dy = k.transpose(dy, [0, 2, 3, 1]);
    const spread = sh > 1 || sw > 1 ? placeStrided(k, dy, [sh, sw], [0, 0], [dh, dw]) : dy;
    const turned = turnedFilter(k, inputs.filter);
    // The "full" padding as the convolution's own (XNNPACK pads as it reads: no padded copy).
    const pad = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const dx = k.run(
      "Conv2D",
      { x: spread, filter: turned },
      { strides: [1, 1], pad, dataFormat: "NHWC", dilations: [1, 1] },
    );
    return nhwc ? dx : k.transpose(dx, [0, 3, 1, 2]);
  });
}

/**
 * The filter [kH, kW, inC, outC] turned by 180 degrees with its channel axes swapped
 * ([kH, kW, outC, inC]): one JavaScript pass for float32 (WASM's Reverse kernel took ~4 ms for
 * a 3x3x64x128 filter, a third of the input gradient it served), else WASM's kernels.
 */
function turnedFilter(k: WasmKernelScope, filter: TensorInfo): TensorInfo {
  if (filter.dtype !== "float32") return k.transpose(k.run("Reverse", { x: filter }, { dims: [0, 1] }), [0, 1, 3, 2]);
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = k.output([kh, kw, co, ci]);
  const src = heapF32(k.backend, filter);
  const dst = heapF32(k.backend, out);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) {
      const from = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
      const to = (i * kw + j) * co * ci;
      for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) dst[to + o * ci + c] = src[from + c * co + o]!;
    }
  return out;
}

interface DepthwiseAttrs extends ConvAttrs {
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

function depthwiseInfo(xShape: number[], filterShape: number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
}

/** The [batch, outH, outW, inC] window of the padded input that filter tap (i, j) reads. */
function tapWindow(
  k: WasmKernelScope,
  padded: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  i: number,
  j: number,
): TensorInfo {
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const top = i * info.dilationHeight;
  const left = j * info.dilationWidth;
  return k.stridedSlice(
    padded,
    [0, top, left, 0],
    [info.batchSize, top + (info.outHeight - 1) * sh + 1, left + (info.outWidth - 1) * sw + 1, info.inChannels],
    [1, sh, sw, 1],
  );
}

/** DepthwiseConv2D's filter gradient: per filter tap, input window times output gradient, summed. */
export function depthwiseBackpropFilter({
  inputs,
  attrs,
  backend,
}: Args<{ x: TensorInfo; dy: TensorInfo }, DepthwiseAttrs>): TensorInfo {
  return composite(backend, inputs, (k) => {
    const { x, dy } = inputs;
    const filterShape = attrs.filterShape!;
    const info = depthwiseInfo(x.shape, filterShape, attrs);
    const [b, oh, ow, ci] = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    const m = filterShape[3];
    const padded = k.pad(x, spatialPads(info));
    const dy5 = k.reshape(dy, [b, oh, ow, ci, m]);
    const taps: TensorInfo[] = [];
    for (let i = 0; i < info.filterHeight; i++) {
      for (let j = 0; j < info.filterWidth; j++) {
        const win = k.reshape(tapWindow(k, padded, info, i, j), [b, oh, ow, ci, 1]);
        taps.push(k.run("Sum", { x: k.run("Multiply", { a: win, b: dy5 }) }, { axis: [0, 1, 2], keepDims: false }));
      }
    }
    return k.reshape(k.run("Pack", taps as never, { axis: 0 }), filterShape);
  });
}

/**
 * DepthwiseConv2D's input gradient: per filter tap, the output gradient times the tap's
 * weights (summed over the channel multiplier), placed where the tap read the input.
 */
export function depthwiseBackpropInput({
  inputs,
  attrs,
  backend,
}: Args<{ dy: TensorInfo; filter: TensorInfo }, DepthwiseAttrs>): TensorInfo {
  return composite(backend, inputs, (k) => {
    const { dy, filter } = inputs;
    const inputShape = attrs.inputShape!;
    const info = depthwiseInfo(inputShape, filter.shape, attrs);
    const [b, oh, ow, ci] = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    const m = filter.shape[3]!;
    const p = info.padInfo;
    const size: [number, number] = [info.inHeight + p.top + p.bottom, info.inWidth + p.left + p.right];
    const dy5 = k.reshape(dy, [b, oh, ow, ci, m]);
    const placed: TensorInfo[] = [];
    for (let i = 0; i < info.filterHeight; i++) {
      for (let j = 0; j < info.filterWidth; j++) {
        const w = k.reshape(k.slice(filter, [i, j, 0, 0], [1, 1, ci, m]), [ci, m]);
        const g =
          m === 1
            ? k.run("Multiply", { a: dy, b: k.reshape(w, [ci]) })
            : k.run("Sum", { x: k.run("Multiply", { a: dy5, b: w }) }, { axis: [4], keepDims: false });
        placed.push(
          placeStrided(
            k,
            g,
            [info.strideHeight, info.strideWidth],
            [i * info.dilationHeight, j * info.dilationWidth],
            size,
          ),
        );
      }
    }
    const sum = placed.length === 1 ? placed[0]! : k.run("AddN", placed as never);
    return k.slice(sum, [0, p.top, p.left, 0], inputShape);
  });
}
