import { BuiltinOperator } from "@kerastore/tflite";
import { Fused, applyActivation, fusable } from "./activations.js";
import {
  type LayerCall,
  type Lowered,
  type Lowering,
  channelsLast,
  lastAxisFirst,
  num,
  only,
  outputShape,
  pair,
  reshape,
  unsupported,
} from "./lower-call.js";
import { activationOf, foldInto } from "./lower-dense.js";

const SAME = 0;
const VALID = 1;

function padding(call: LayerCall): number {
  const p = call.config.padding;
  if (p === "same") return SAME;
  if (p === "valid" || p === undefined) return VALID;
  throw unsupported(call, `padding "${String(p)}"`);
}

/** Adds the layer's activation: fused into `options` when the op can, else as ops after it. */
function finish(
  call: LayerCall,
  code: number,
  inputs: number[],
  shape: readonly number[],
  options: Record<string, number | boolean>,
  kind: "Conv2DOptions" | "DepthwiseConv2DOptions",
  version = 1,
): Lowered {
  const act = activationOf(call);
  const fused = fusable(act);
  const index = call.g.op(
    code,
    inputs,
    shape,
    fused === undefined ? `${call.name}/conv` : call.name,
    { kind, ...options, fusedActivationFunction: fused ?? Fused.NONE },
    version,
  );
  const y = { index, shape };
  return fused === undefined ? applyActivation(call.g, act, y, call.name, call.where) : y;
}

/** A CONV_2D of NHWC `x` with a Keras HWIO kernel (BatchNormalization folded when asked). */
function conv(
  call: LayerCall,
  x: Lowered,
  kernel: Float32Array,
  kshape: readonly number[],
  out: readonly number[],
  strides: [number, number],
  dilations: [number, number],
  pad: number,
): Lowered {
  const [kh, kw, cin, cout] = kshape as [number, number, number, number];
  const { g } = call;
  const folded = foldInto(lastAxisFirst(kernel, kshape), call.weight("bias")?.values, kh * kw * cin, cout, call.fold);
  const w = g.weight(`${call.name}/kernel`, [cout, kh, kw, cin], folded.weights, { hybrid: true, channelAxis: 0 });
  const b = g.floats(`${call.name}/bias`, [cout], folded.bias ?? new Float32Array(cout));
  const options = {
    padding: pad,
    strideH: strides[0],
    strideW: strides[1],
    dilationHFactor: dilations[0],
    dilationWFactor: dilations[1],
  };
  return finish(
    call,
    BuiltinOperator.CONV_2D,
    [x.index, w, b],
    out,
    options,
    "Conv2DOptions",
    g.isQuantized(w) ? 2 : 1,
  );
}

function kernelOf(call: LayerCall, name = "kernel") {
  const k = call.weight(name);
  if (k === undefined) throw unsupported(call, `it has no ${name}`);
  return k;
}

export function conv2d(call: LayerCall): Lowered[] {
  channelsLast(call);
  if (num(call.config.groups, 1) !== 1) throw unsupported(call, "grouped convolution");
  const k = kernelOf(call);
  return [
    conv(
      call,
      only(call),
      k.values,
      k.shape,
      outputShape(call),
      pair(call.config.strides, 1),
      pair(call.config.dilation_rate, 1),
      padding(call),
    ),
  ];
}

/** Conv1D as TFLite's converter lowers it: to NHWC with H = 1, CONV_2D, back ("causal" pads the left first). */
export function conv1d(call: LayerCall): Lowered[] {
  channelsLast(call);
  if (num(call.config.groups, 1) !== 1) throw unsupported(call, "grouped convolution");
  let x = only(call);
  const k = kernelOf(call);
  const [kw, cin, cout] = k.shape as [number, number, number];
  const stride = pair(call.config.strides, 1)[0];
  const dilation = pair(call.config.dilation_rate, 1)[0];
  let pad = call.config.padding === "causal" ? VALID : padding(call);
  const [batch, steps] = x.shape as [number, number];
  if (call.config.padding === "causal") {
    const left = (kw - 1) * dilation;
    const shape = [batch, steps + left, cin];
    const pads = call.g.ints(`${call.name}/pad/paddings`, [3, 2], [0, 0, left, 0, 0, 0]);
    x = { index: call.g.op(BuiltinOperator.PAD, [x.index, pads], shape, `${call.name}/pad`), shape };
    pad = VALID;
  }
  const x4 = reshape(call, x, [x.shape[0]!, 1, x.shape[1]!, cin], "expand");
  const out = outputShape(call);
  const y = conv(call, x4, k.values, [1, kw, cin, cout], [out[0]!, 1, out[1]!, cout], [1, stride], [1, dilation], pad);
  return [reshape(call, y, out, "squeeze")];
}

/** DEPTHWISE_CONV_2D: the Keras `[kh, kw, in, multiplier]` kernel is TFLite's `[1, kh, kw, in * multiplier]`. */
function depthwise(
  call: LayerCall,
  x: Lowered,
  kname: string,
  out: readonly number[],
  withBias: boolean,
  version: number,
): Lowered {
  const k = kernelOf(call, kname);
  const [kh, kw, cin, mult] = k.shape as [number, number, number, number];
  const { g } = call;
  const fold = withBias ? call.fold : undefined;
  const folded = foldInto(k.values, withBias ? call.weight("bias")?.values : undefined, 1, cin * mult, fold);
  const w = g.weight(`${call.name}/${kname}`, [1, kh, kw, cin * mult], folded.weights);
  const b = g.floats(`${call.name}/${kname}_bias`, [cin * mult], folded.bias ?? new Float32Array(cin * mult));
  const [sh, sw] = pair(call.config.strides, 1);
  const [dh, dw] = pair(call.config.dilation_rate, 1);
  const options = {
    padding: padding(call),
    strideH: sh,
    strideW: sw,
    depthMultiplier: mult,
    dilationHFactor: dh,
    dilationWFactor: dw,
  };
  if (!withBias) {
    const index = g.op(
      BuiltinOperator.DEPTHWISE_CONV_2D,
      [x.index, w, b],
      out,
      `${call.name}/depthwise`,
      { kind: "DepthwiseConv2DOptions", ...options, fusedActivationFunction: 0 },
      version,
    );
    return { index, shape: out };
  }
  return finish(
    call,
    BuiltinOperator.DEPTHWISE_CONV_2D,
    [x.index, w, b],
    out,
    options,
    "DepthwiseConv2DOptions",
    version,
  );
}

export function depthwiseConv2d(call: LayerCall): Lowered[] {
  channelsLast(call);
  // Keras 3 names the kernel `kernel`, Keras 2 `depthwise_kernel`.
  const name = call.weight("kernel") !== undefined ? "kernel" : "depthwise_kernel";
  return [depthwise(call, only(call), name, outputShape(call), true, 2)];
}

/** SeparableConv2D: DEPTHWISE_CONV_2D, then a 1x1 CONV_2D with the pointwise kernel, bias and activation. */
export function separableConv2d(call: LayerCall): Lowered[] {
  channelsLast(call);
  const x = only(call);
  const dk = kernelOf(call, "depthwise_kernel");
  const out = outputShape(call);
  const [, , cin, mult] = dk.shape as [number, number, number, number];
  const mid = [out[0]!, out[1]!, out[2]!, cin * mult];
  const d = depthwise(call, x, "depthwise_kernel", mid, false, 2);
  const pk = kernelOf(call, "pointwise_kernel");
  return [conv(call, d, pk.values, pk.shape, out, [1, 1], [1, 1], VALID)];
}

/** Conv2DTranspose as TRANSPOSE_CONV (weights `[out, kh, kw, in]`, bias as its fourth input). */
export function conv2dTranspose(call: LayerCall): Lowered[] {
  channelsLast(call);
  const x = only(call);
  const k = kernelOf(call);
  const [kh, kw, cout, cin] = k.shape as [number, number, number, number];
  if (pair(call.config.dilation_rate, 1).some((d) => d !== 1)) throw unsupported(call, "dilation");
  const { g } = call;
  // Keras [kh, kw, out, in] -> [out, kh, kw, in].
  const w = new Float32Array(k.values.length);
  for (let h = 0; h < kh; h++)
    for (let ww = 0; ww < kw; ww++)
      for (let o = 0; o < cout; o++)
        for (let i = 0; i < cin; i++) {
          w[((o * kh + h) * kw + ww) * cin + i] = k.values[((h * kw + ww) * cout + o) * cin + i]!;
        }
  const out = outputShape(call);
  const shapeTensor = g.ints(`${call.name}/output_shape`, [4], out);
  const wt = g.weight(`${call.name}/kernel`, [cout, kh, kw, cin], w);
  const bias = call.weight("bias");
  const inputs = [
    shapeTensor,
    wt,
    x.index,
    ...(bias === undefined ? [] : [g.floats(`${call.name}/bias`, [cout], bias.values)]),
  ];
  const [sh, sw] = pair(call.config.strides, 1);
  const index = g.op(
    BuiltinOperator.TRANSPOSE_CONV,
    inputs,
    out,
    `${call.name}/conv_transpose`,
    { kind: "TransposeConvOptions", padding: padding(call), strideH: sh, strideW: sw, fusedActivationFunction: 0 },
    bias === undefined ? 1 : 3,
  );
  return [applyActivation(g, activationOf(call), { index, shape: out }, call.name, call.where)];
}

export function pool2d(code: number): Lowering {
  return (call) => {
    channelsLast(call);
    const x = only(call);
    const [ph, pw] = pair(call.config.pool_size, 2);
    const [sh, sw] =
      call.config.strides === null || call.config.strides === undefined ? [ph, pw] : pair(call.config.strides, ph);
    const out = outputShape(call);
    const options = {
      kind: "Pool2DOptions" as const,
      padding: padding(call),
      strideH: sh,
      strideW: sw,
      filterHeight: ph,
      filterWidth: pw,
      fusedActivationFunction: 0,
    };
    return [{ index: call.g.op(code, [x.index], out, call.name, options), shape: out }];
  };
}

/** MaxPooling1D / AveragePooling1D: to NHWC with H = 1, the 2D pool, back. */
export function pool1d(code: number): Lowering {
  return (call) => {
    channelsLast(call);
    const x = only(call);
    const p = pair(call.config.pool_size, 2)[0];
    const s = call.config.strides === null || call.config.strides === undefined ? p : pair(call.config.strides, p)[0];
    const out = outputShape(call);
    const x4 = reshape(call, x, [x.shape[0]!, 1, x.shape[1]!, x.shape[2]!], "expand");
    const out4 = [out[0]!, 1, out[1]!, out[2]!];
    const options = {
      kind: "Pool2DOptions" as const,
      padding: padding(call),
      strideH: 1,
      strideW: s,
      filterHeight: 1,
      filterWidth: p,
      fusedActivationFunction: 0,
    };
    const y = { index: call.g.op(code, [x4.index], out4, `${call.name}/pool`, options), shape: out4 };
    return [reshape(call, y, out, "squeeze")];
  };
}

/** Global pooling as MEAN / REDUCE_MAX over the spatial axes. */
export function globalPool(code: number): Lowering {
  return (call) => {
    channelsLast(call);
    const x = only(call);
    const axes = Array.from({ length: x.shape.length - 2 }, (_, i) => i + 1);
    const out = outputShape(call);
    const keep = call.config.keepdims === true;
    const a = call.g.ints(`${call.name}/axes`, [axes.length], axes);
    return [
      { index: call.g.op(code, [x.index, a], out, call.name, { kind: "ReducerOptions", keepDims: keep }), shape: out },
    ];
  };
}

/** ZeroPadding2D / ZeroPadding1D as PAD. */
export function zeroPadding(call: LayerCall): Lowered[] {
  const x = only(call);
  const out = outputShape(call);
  const rows: number[] = [0, 0];
  const p = call.config.padding;
  const dims = x.shape.length - 2;
  for (let i = 0; i < dims; i++) {
    const v = Array.isArray(p) ? p[i] : p;
    const [before, after] =
      typeof v === "number"
        ? [v, v]
        : Array.isArray(v)
          ? [num(v[0], 0), num(v[1], 0)]
          : dims === 1 && Array.isArray(p)
            ? [num(p[0], 0), num(p[1], 0)]
            : [1, 1];
    rows.push(before, after);
  }
  if (dims === 1 && Array.isArray(p)) rows.splice(2, 2, num(p[0], 0), num(p[1], 0));
  rows.push(0, 0);
  const pads = call.g.ints(`${call.name}/paddings`, [x.shape.length, 2], rows);
  return [{ index: call.g.op(BuiltinOperator.PAD, [x.index, pads], out, call.name), shape: out }];
}
