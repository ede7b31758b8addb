import { type JsonValue, hostTensor } from "@kerastore/core";
import { attr } from "@kerastore/savedmodel";
import { ints, scalar } from "./lower-activations.js";
import {
  type LayerCall,
  type Lowering,
  T,
  channelsLast,
  num,
  only,
  pair,
  unsupported,
  withBiasAndActivation,
} from "./lower-call.js";

export function conv2d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  if (num(call.config.groups, 1) !== 1) throw unsupported(call, "grouped convolution");
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  const [sh, sw] = pair(call.config.strides, 1);
  const [dh, dw] = pair(call.config.dilation_rate, 1);
  const padding = call.config.padding === "same" ? "SAME" : "VALID";
  const y = call.b.op("Conv2D", `${call.scope}/Conv2D`, [x.ref, kernel], {
    ...T,
    strides: attr.ints([1, sh, sw, 1]),
    dilations: attr.ints([1, dh, dw, 1]),
    padding: attr.str(padding),
    data_format: attr.str("NHWC"),
  });
  return [withBiasAndActivation(call, y)];
}

export function pool(op: "MaxPool" | "AvgPool"): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const [ph, pw] = pair(call.config.pool_size, 2);
    const [sh, sw] =
      call.config.strides === null || call.config.strides === undefined ? [ph, pw] : pair(call.config.strides, ph);
    const padding = call.config.padding === "same" ? "SAME" : "VALID";
    return [
      call.b.op(op, `${call.scope}/${op}`, [x.ref], {
        ...T,
        ksize: attr.ints([1, ph, pw, 1]),
        strides: attr.ints([1, sh, sw, 1]),
        padding: attr.str(padding),
        data_format: attr.str("NHWC"),
      }),
    ];
  };
}

export function globalPool(op: "Mean" | "Max"): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const axes = ints(
      call.b,
      `${call.scope}/${op}/reduction_indices`,
      Array.from({ length: x.shape.length - 2 }, (_, i) => i + 1),
    );
    return [
      call.b.op(op, `${call.scope}/${op}`, [x.ref, axes], {
        ...T,
        Tidx: attr.type("int32"),
        keep_dims: attr.bool(call.config.keepdims === true),
      }),
    ];
  };
}

/** An int32 matrix constant (the `paddings` of `Pad`). */
export function paddings(call: LayerCall, name: string, rows: readonly (readonly [number, number])[]): string {
  const value = hostTensor("int32", [rows.length, 2], Int32Array.from(rows.flat()));
  return call.b.op("Const", name, [], { dtype: attr.type("int32"), value: attr.tensor(value) });
}

export function single(value: JsonValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : Array.isArray(value) && typeof value[0] === "number" ? value[0] : fallback;
}

/** Conv1D as TensorFlow runs it: ExpandDims to NHWC with H = 1, Conv2D, Squeeze ("causal" pads the left first). */
export function conv1d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  if (num(call.config.groups, 1) !== 1) throw unsupported(call, "grouped convolution");
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  const { b, scope } = call;
  const k = single(call.config.kernel_size, 1);
  const s = single(call.config.strides, 1);
  const d = single(call.config.dilation_rate, 1);
  let input = x.ref;
  if (call.config.padding === "causal") {
    input = b.op(
      "Pad",
      `${scope}/Pad`,
      [
        input,
        paddings(call, `${scope}/Pad/paddings`, [
          [0, 0],
          [(k - 1) * d, 0],
          [0, 0],
        ]),
      ],
      { ...T, Tpaddings: attr.type("int32") },
    );
  }
  const expand = (ref: string, axis: number, name: string) =>
    b.op("ExpandDims", `${scope}/${name}`, [ref, scalar(b, `${scope}/${name}/dim`, axis, "int32")], {
      ...T,
      Tdim: attr.type("int32"),
    });
  const y = b.op("Conv2D", `${scope}/Conv2D`, [expand(input, 1, "ExpandDims"), expand(kernel, 0, "ExpandDims_1")], {
    ...T,
    strides: attr.ints([1, 1, s, 1]),
    dilations: attr.ints([1, 1, d, 1]),
    padding: attr.str(call.config.padding === "same" ? "SAME" : "VALID"),
    data_format: attr.str("NHWC"),
  });
  return [
    withBiasAndActivation(call, b.op("Squeeze", `${scope}/Squeeze`, [y], { ...T, squeeze_dims: attr.ints([1]) })),
  ];
}

function depthwise(call: LayerCall, x: string, kernel: string): string {
  const [sh, sw] = pair(call.config.strides, 1);
  const [dh, dw] = pair(call.config.dilation_rate, 1);
  if (dh !== 1 || dw !== 1) throw unsupported(call, "a dilated depthwise convolution");
  return call.b.op("DepthwiseConv2dNative", `${call.scope}/depthwise`, [x, kernel], {
    ...T,
    strides: attr.ints([1, sh, sw, 1]),
    dilations: attr.ints([1, 1, 1, 1]),
    padding: attr.str(call.config.padding === "same" ? "SAME" : "VALID"),
    data_format: attr.str("NHWC"),
  });
}

export function depthwiseConv2d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  const kernel = call.weight("kernel") ?? call.weight("depthwise_kernel");
  if (kernel === undefined) throw unsupported(call, "it has no depthwise kernel");
  return [withBiasAndActivation(call, depthwise(call, x.ref, kernel))];
}

export function separableConv2d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  const dk = call.weight("depthwise_kernel");
  const pk = call.weight("pointwise_kernel");
  if (dk === undefined || pk === undefined) throw unsupported(call, "it has no depthwise and pointwise kernels");
  const y = call.b.op("Conv2D", `${call.scope}/Conv2D`, [depthwise(call, x.ref, dk), pk], {
    ...T,
    strides: attr.ints([1, 1, 1, 1]),
    dilations: attr.ints([1, 1, 1, 1]),
    padding: attr.str("VALID"),
    data_format: attr.str("NHWC"),
  });
  return [withBiasAndActivation(call, y)];
}

/** MaxPooling1D / AveragePooling1D: ExpandDims to NHWC with H = 1, the 2D pool, Squeeze. */
export function pool1d(op: "MaxPool" | "AvgPool"): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const { b, scope } = call;
    const p = single(call.config.pool_size, 2);
    const s = call.config.strides === null || call.config.strides === undefined ? p : single(call.config.strides, p);
    const expanded = b.op(
      "ExpandDims",
      `${scope}/ExpandDims`,
      [x.ref, scalar(b, `${scope}/ExpandDims/dim`, 1, "int32")],
      { ...T, Tdim: attr.type("int32") },
    );
    const pooled = b.op(op, `${scope}/${op}`, [expanded], {
      ...T,
      ksize: attr.ints([1, 1, p, 1]),
      strides: attr.ints([1, 1, s, 1]),
      padding: attr.str(call.config.padding === "same" ? "SAME" : "VALID"),
      data_format: attr.str("NHWC"),
    });
    return [b.op("Squeeze", `${scope}/Squeeze`, [pooled], { ...T, squeeze_dims: attr.ints([1]) })];
  };
}

/**
 * Conv2DTranspose as TensorFlow runs it: `Conv2DBackpropInput` to the static output size, with
 * the batch size taken from the input's runtime shape (`Shape`, `StridedSlice`, `Pack`).
 */
export function conv2dTranspose(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  const kernel = call.weight("kernel");
  if (kernel === undefined) throw unsupported(call, "it has no kernel");
  const [dh, dw] = pair(call.config.dilation_rate, 1);
  if (dh !== 1 || dw !== 1) throw unsupported(call, "a dilated transposed convolution");
  const out = call.outputShapes[0];
  const dims = out?.slice(1);
  if (dims === undefined || dims.length !== 3 || dims.some((d) => d === null))
    throw unsupported(call, "its output size is unknown");
  const { b, scope } = call;
  const i32 = { T: attr.type("int32") };
  const shape = b.op("Shape", `${scope}/Shape`, [x.ref], { ...T, out_type: attr.type("int32") });
  const batch = b.op(
    "StridedSlice",
    `${scope}/strided_slice`,
    [
      shape,
      ints(b, `${scope}/strided_slice/stack`, [0]),
      ints(b, `${scope}/strided_slice/stack_1`, [1]),
      ints(b, `${scope}/strided_slice/stack_2`, [1]),
    ],
    {
      ...i32,
      Index: attr.type("int32"),
      shrink_axis_mask: attr.int(1),
    },
  );
  const sizes = b.op(
    "Pack",
    `${scope}/stack`,
    [batch, ...(dims as number[]).map((d, k) => scalar(b, `${scope}/stack/${k}`, d, "int32"))],
    { ...i32, N: attr.int(4) },
  );
  const [sh, sw] = pair(call.config.strides, 1);
  const y = b.op("Conv2DBackpropInput", `${scope}/conv2d_transpose`, [sizes, kernel, x.ref], {
    ...T,
    strides: attr.ints([1, sh, sw, 1]),
    dilations: attr.ints([1, 1, 1, 1]),
    padding: attr.str(call.config.padding === "same" ? "SAME" : "VALID"),
    data_format: attr.str("NHWC"),
  });
  return [withBiasAndActivation(call, y)];
}
