import { attr } from "@kerastore/savedmodel";
import { ints } from "./lower-activations.js";
import { type LayerCall, type Lowering, T, channelsLast, num, only, pair, unsupported, withBiasAndActivation } from "./lower-call.js";

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
    const [sh, sw] = call.config.strides === null || call.config.strides === undefined ? [ph, pw] : pair(call.config.strides, ph);
    const padding = call.config.padding === "same" ? "SAME" : "VALID";
    return [call.b.op(op, `${call.scope}/${op}`, [x.ref], { ...T, ksize: attr.ints([1, ph, pw, 1]), strides: attr.ints([1, sh, sw, 1]), padding: attr.str(padding), data_format: attr.str("NHWC") })];
  };
}

export function globalPool(op: "Mean" | "Max"): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const axes = ints(call.b, `${call.scope}/${op}/reduction_indices`, Array.from({ length: x.shape.length - 2 }, (_, i) => i + 1));
    return [call.b.op(op, `${call.scope}/${op}`, [x.ref, axes], { ...T, Tidx: attr.type("int32"), keep_dims: attr.bool(call.config.keepdims === true) })];
  };
}
