import * as tf from "@tensorflow/tfjs-core";
import { type KernelBackend, type TensorInfo, type WasmKernelScope, composite } from "./composite.js";

// Conv3D's gradients from WASM's native Conv3D, as conv-grads.ts does for Conv2D: tfjs 4.22's
// WASM Conv3DBackpropInputV2 gives wrong values (measured against tfjs-backend-cpu: off by up
// to 40 on unit inputs, any stride), and its Conv3DBackpropFilterV2 is wrong for strides > 1.

interface Conv3DAttrs {
  strides: number | [number, number, number];
  pad: "valid" | "same";
}

type Args<I, A> = { inputs: I; attrs: A; backend: KernelBackend };

type Shape5 = [number, number, number, number, number];

function pads(info: tf.backend_util.Conv3DInfo): Array<[number, number]> {
  const p = info.padInfo;
  return [
    [0, 0],
    [p.front, p.back],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

/** `stride - 1` zeros after each element of the three spatial axes, cut to `size` elements per axis. */
function spread(
  k: WasmKernelScope,
  g: TensorInfo,
  stride: [number, number, number],
  size: [number, number, number],
): TensorInfo {
  const [b, od, oh, ow, c] = g.shape as Shape5;
  const [sd, sh, sw] = stride;
  let d = g;
  if (sd > 1)
    d = k.reshape(
      k.pad(k.reshape(d, [b * od, 1, oh * ow * c]), [
        [0, 0],
        [0, sd - 1],
        [0, 0],
      ]),
      [b, od * sd, oh, ow, c],
    );
  if (sh > 1)
    d = k.reshape(
      k.pad(k.reshape(d, [b * od * sd * oh, 1, ow * c]), [
        [0, 0],
        [0, sh - 1],
        [0, 0],
      ]),
      [b, od * sd, oh * sh, ow, c],
    );
  if (sw > 1)
    d = k.reshape(
      k.pad(k.reshape(d, [b * od * sd * oh * sh * ow, 1, c]), [
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]),
      [b, od * sd, oh * sh, ow * sw, c],
    );
  return k.slice(d, [0, 0, 0, 0, 0], [b, size[0], size[1], size[2], c]);
}

/**
 * Conv3D's filter gradient as one convolution: the padded input with batch and channels
 * swapped ([inC, D, H, W, batch]) convolved with the output gradient ([oD, oH, oW, batch, outC],
 * dilated by the stride) gives [inC, kD, kH, kW, outC].
 */
export function conv3DBackpropFilter({
  inputs,
  attrs,
  backend,
}: Args<{ x: TensorInfo; dy: TensorInfo }, Conv3DAttrs & { filterShape: Shape5 }>): TensorInfo {
  return composite(backend, inputs, (k) => {
    const { x, dy } = inputs;
    const info = tf.backend_util.computeConv3DInfo(x.shape as Shape5, attrs.filterShape, attrs.strides, 1, attrs.pad);
    const [kd, kh, kw] = [info.filterDepth, info.filterHeight, info.filterWidth];
    const [sd, sh, sw] = [info.strideDepth, info.strideHeight, info.strideWidth];
    const used = k.slice(
      k.pad(x, pads(info)),
      [0, 0, 0, 0, 0],
      [
        info.batchSize,
        (info.outDepth - 1) * sd + kd,
        (info.outHeight - 1) * sh + kh,
        (info.outWidth - 1) * sw + kw,
        info.inChannels,
      ],
    );
    const xt = k.transpose(used, [4, 1, 2, 3, 0]);
    const filter = k.transpose(dy, [1, 2, 3, 0, 4]);
    const r = k.run(
      "Conv3D",
      { x: xt, filter },
      { strides: [1, 1, 1], pad: "valid", dataFormat: "NDHWC", dilations: [sd, sh, sw] },
    );
    return k.transpose(r, [1, 2, 3, 0, 4]);
  });
}

/**
 * Conv3D's input gradient as one convolution: the output gradient dilated by the stride,
 * padded to a "full" convolution, convolved with the filter flipped on its spatial axes and its
 * channel axes swapped.
 */
export function conv3DBackpropInput({
  inputs,
  attrs,
  backend,
}: Args<{ dy: TensorInfo; filter: TensorInfo }, Conv3DAttrs & { inputShape: Shape5 }>): TensorInfo {
  return composite(backend, inputs, (k) => {
    const info = tf.backend_util.computeConv3DInfo(
      attrs.inputShape,
      inputs.filter.shape as Shape5,
      attrs.strides,
      1,
      attrs.pad,
    );
    const ks = [info.filterDepth, info.filterHeight, info.filterWidth];
    const strides: [number, number, number] = [info.strideDepth, info.strideHeight, info.strideWidth];
    const outs = [info.outDepth, info.outHeight, info.outWidth];
    const ins = [info.inDepth, info.inHeight, info.inWidth];
    const before = [info.padInfo.front, info.padInfo.top, info.padInfo.left];
    const dilated = outs.map((o, i) => (o - 1) * strides[i]! + 1) as [number, number, number];
    let g = spread(k, inputs.dy, strides, dilated);
    // Pad to a full convolution; a negative amount (rows a valid strided conv never read) crops.
    const lo = ks.map((kk, i) => kk - 1 - before[i]!);
    const hi = ks.map((kk, i) => ins[i]! + kk - 1 - dilated[i]! - lo[i]!);
    g = k.pad(g, [[0, 0], ...lo.map((l, i): [number, number] => [Math.max(l, 0), Math.max(hi[i]!, 0)]), [0, 0]]);
    if (lo.some((l) => l < 0) || hi.some((h) => h < 0)) {
      const begin = [0, ...lo.map((l) => Math.max(-l, 0)), 0];
      const size = [
        g.shape[0]!,
        ...g.shape.slice(1, 4).map((d, i) => d - Math.max(-lo[i]!, 0) - Math.max(-hi[i]!, 0)),
        g.shape[4]!,
      ];
      g = k.slice(g, begin, size);
    }
    const turned = k.transpose(k.run("Reverse", { x: inputs.filter }, { dims: [0, 1, 2] }), [0, 1, 2, 4, 3]);
    return k.run(
      "Conv3D",
      { x: g, filter: turned },
      { strides: [1, 1, 1], pad: "valid", dataFormat: "NDHWC", dilations: [1, 1, 1] },
    );
  });
}
