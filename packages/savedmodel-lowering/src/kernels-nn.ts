import { cannot } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import type { Kernel, NodeAttrs } from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";
import { einsum } from "./einsum.js";
import { intsOf } from "./kernels-math.js";

type K = Kernel<tf.Tensor>;
type Padding = "valid" | "same" | [[number, number], [number, number], [number, number], [number, number]];

/** The spatial part (H, W) of an NHWC 4-vector attribute (`strides`, `ksize`, `dilations`). */
function spatial(attrs: NodeAttrs, name: string, node: string, fallback: number[] = [1, 1, 1, 1]): [number, number] {
  const v = attrs.ints(name, fallback);
  if (v.length === 2) return [v[0]!, v[1]!];
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) {
    throw new LoweringError(
      "unsupported",
      cannot("run", `node ${node}`, `${name} [${v.join(", ")}] is not [1, h, w, 1]`),
    );
  }
  return [v[1]!, v[2]!];
}

function nhwc(attrs: NodeAttrs, node: string): void {
  const format = attrs.string("data_format", "NHWC");
  if (format !== "NHWC")
    throw new LoweringError(
      "unsupported",
      cannot("run", `node ${node}`, `data_format ${format} is not computed; only NHWC`),
    );
}

function padding(attrs: NodeAttrs): Padding {
  const p = attrs.string("padding");
  if (p === "EXPLICIT") {
    const e = attrs.ints("explicit_paddings");
    return [
      [e[0]!, e[1]!],
      [e[2]!, e[3]!],
      [e[4]!, e[5]!],
      [e[6]!, e[7]!],
    ];
  }
  return p === "SAME" ? "same" : "valid";
}

/** Matrix products, convolutions, pooling, normalization and softmax. */
export const nnKernels: Readonly<Record<string, K>> = {
  MatMul: ([a, b], attrs) => [tf.matMul(a!, b!, attrs.bool("transpose_a", false), attrs.bool("transpose_b", false))],
  BatchMatMul: ([a, b], attrs) => [tf.matMul(a!, b!, attrs.bool("adj_x", false), attrs.bool("adj_y", false))],
  BatchMatMulV2: ([a, b], attrs) => [tf.matMul(a!, b!, attrs.bool("adj_x", false), attrs.bool("adj_y", false))],
  BatchMatMulV3: ([a, b], attrs) => [tf.matMul(a!, b!, attrs.bool("adj_x", false), attrs.bool("adj_y", false))],
  BiasAdd: ([x, bias], attrs) => {
    if (attrs.string("data_format", "NHWC") === "NCHW" && x!.rank > 2) {
      return [tf.add(x!, tf.reshape(bias!, [bias!.size, ...new Array<number>(x!.rank - 2).fill(1)]))];
    }
    return [tf.add(x!, bias!)];
  },
  Einsum: (inputs, attrs, ctx) => [einsum(attrs.string("equation"), inputs, `node ${ctx.node}`)],
  Softmax: ([x]) => [tf.softmax(x!)],
  LogSoftmax: ([x]) => [tf.logSoftmax(x!)],
  Conv2D: ([x, filter], attrs, ctx) => {
    nhwc(attrs, ctx.node);
    return [
      tf.conv2d(
        x! as tf.Tensor4D,
        filter! as tf.Tensor4D,
        spatial(attrs, "strides", ctx.node),
        padding(attrs),
        "NHWC",
        spatial(attrs, "dilations", ctx.node),
      ),
    ];
  },
  Conv2DBackpropInput: ([sizes, filter, dy], attrs, ctx) => {
    nhwc(attrs, ctx.node);
    const [dh, dw] = spatial(attrs, "dilations", ctx.node);
    if (dh !== 1 || dw !== 1)
      throw new LoweringError("unsupported", cannot("run", `node ${ctx.node}`, "a dilated transposed convolution"));
    const shape = intsOf(sizes!) as [number, number, number, number];
    return [
      tf.conv2dTranspose(
        dy! as tf.Tensor4D,
        filter! as tf.Tensor4D,
        shape,
        spatial(attrs, "strides", ctx.node),
        padding(attrs) as "valid" | "same",
      ),
    ];
  },
  SpaceToBatchND: ([x, block, paddings]) => [tf.spaceToBatchND(x!, intsOf(block!), pairs(intsOf(paddings!)))],
  BatchToSpaceND: ([x, block, crops]) => [tf.batchToSpaceND(x!, intsOf(block!), pairs(intsOf(crops!)))],
  ResizeBilinear: ([x, size], attrs) => [
    tf.image.resizeBilinear(
      x! as tf.Tensor4D,
      intsOf(size!) as [number, number],
      attrs.bool("align_corners", false),
      attrs.bool("half_pixel_centers", false),
    ),
  ],
  ResizeNearestNeighbor: ([x, size], attrs) => [
    tf.image.resizeNearestNeighbor(
      x! as tf.Tensor4D,
      intsOf(size!) as [number, number],
      attrs.bool("align_corners", false),
      attrs.bool("half_pixel_centers", false),
    ),
  ],
  DepthwiseConv2dNative: ([x, filter], attrs, ctx) => {
    nhwc(attrs, ctx.node);
    const pad = padding(attrs);
    if (typeof pad !== "string")
      throw new LoweringError(
        "unsupported",
        cannot("run", `node ${ctx.node}`, "explicit padding of a depthwise convolution"),
      );
    return [
      tf.depthwiseConv2d(
        x! as tf.Tensor4D,
        filter! as tf.Tensor4D,
        spatial(attrs, "strides", ctx.node),
        pad,
        "NHWC",
        spatial(attrs, "dilations", ctx.node),
      ),
    ];
  },
  MaxPool: ([x], attrs, ctx) => {
    nhwc(attrs, ctx.node);
    const pad = padding(attrs);
    if (typeof pad !== "string")
      throw new LoweringError("unsupported", cannot("run", `node ${ctx.node}`, "explicit padding of a pooling"));
    return [tf.maxPool(x! as tf.Tensor4D, spatial(attrs, "ksize", ctx.node), spatial(attrs, "strides", ctx.node), pad)];
  },
  AvgPool: ([x], attrs, ctx) => {
    nhwc(attrs, ctx.node);
    const pad = padding(attrs);
    if (typeof pad !== "string")
      throw new LoweringError("unsupported", cannot("run", `node ${ctx.node}`, "explicit padding of a pooling"));
    return [tf.avgPool(x! as tf.Tensor4D, spatial(attrs, "ksize", ctx.node), spatial(attrs, "strides", ctx.node), pad)];
  },
  FusedBatchNorm: (inputs, attrs, ctx) => fusedBatchNorm(inputs, attrs, ctx.node),
  FusedBatchNormV2: (inputs, attrs, ctx) => fusedBatchNorm(inputs, attrs, ctx.node),
  FusedBatchNormV3: (inputs, attrs, ctx) => fusedBatchNorm(inputs, attrs, ctx.node),
};

/** Batch normalization at inference; the extra outputs pass the moving statistics through. */
function fusedBatchNorm([x, scale, offset, mean, variance]: readonly tf.Tensor[], attrs: NodeAttrs, node: string) {
  if (attrs.bool("is_training", true)) {
    throw new LoweringError(
      "unsupported",
      cannot("run", `node ${node}`, "a fused batch normalization in training mode"),
    );
  }
  nhwc(attrs, node);
  const y = tf.batchNorm(x!, mean!, variance!, offset!, scale!, attrs.float("epsilon", 0.0001));
  return {
    y: [y],
    batch_mean: [mean!],
    batch_variance: [variance!],
    reserve_space_1: [mean!],
    reserve_space_2: [variance!],
    reserve_space_3: [mean!],
  };
}

function pairs(flat: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
