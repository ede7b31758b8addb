import type { JsonValue } from "@kerastore/core";
import { attr } from "@kerastore/savedmodel";
import { ints, scalar } from "./lower-activations.js";
import { type LayerCall, type Lowering, T, channelsLast, knownDims, num, only, unsupported } from "./lower-call.js";
import { paddings } from "./lower-conv.js";

/** ZeroPadding2D's `padding`: an int, `[h, w]`, or `[[top, bottom], [left, right]]`. */
function paddingPairs(value: JsonValue | undefined): [[number, number], [number, number]] {
  if (typeof value === "number")
    return [
      [value, value],
      [value, value],
    ];
  if (Array.isArray(value) && value.length === 2) {
    const side = (v: JsonValue | undefined): [number, number] =>
      typeof v === "number"
        ? [v, v]
        : Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "number"
          ? [v[0], v[1]]
          : [1, 1];
    return [side(value[0]), side(value[1])];
  }
  return [
    [1, 1],
    [1, 1],
  ];
}

export function zeroPadding2d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  const [h, w] = paddingPairs(call.config.padding);
  const p = paddings(call, `${call.scope}/Pad/paddings`, [[0, 0], h, w, [0, 0]]);
  return [call.b.op("Pad", `${call.scope}/Pad`, [x.ref, p], { ...T, Tpaddings: attr.type("int32") })];
}

function side(v: JsonValue | undefined, fallback: number): [number, number] {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "number") return [v[0], v[1]];
  return [fallback, fallback];
}

export function zeroPadding1d(call: LayerCall): string[] {
  const x = only(call);
  const p = paddings(call, `${call.scope}/Pad/paddings`, [[0, 0], side(call.config.padding, 1), [0, 0]]);
  return [call.b.op("Pad", `${call.scope}/Pad`, [x.ref, p], { ...T, Tpaddings: attr.type("int32") })];
}

/** Cropping1D / Cropping2D: a `Slice` from the first kept element to the static output size. */
export function cropping(rank: 1 | 2): Lowering {
  return (call) => {
    const x = only(call);
    channelsLast(call);
    const out = call.outputShapes[0];
    if (out === undefined) throw unsupported(call, "its output shape is unknown");
    const dims = knownDims(call, out);
    const c = call.config.cropping;
    const starts = rank === 1 ? [side(c, 0)[0]] : [paddingPairs(c)[0][0], paddingPairs(c)[1][0]];
    const begin = ints(call.b, `${call.scope}/Slice/begin`, [0, ...starts, ...Array(dims.length - rank).fill(0)]);
    const size = ints(call.b, `${call.scope}/Slice/size`, [
      -1,
      ...dims.slice(0, rank),
      ...Array(dims.length - rank).fill(-1),
    ]);
    return [call.b.op("Slice", `${call.scope}/Slice`, [x.ref, begin, size], { ...T, Index: attr.type("int32") })];
  };
}

/** UpSampling2D (nearest): `ResizeNearestNeighbor` to the static output size, which repeats each pixel. */
export function upSampling2d(call: LayerCall): string[] {
  const x = only(call);
  channelsLast(call);
  if ((call.config.interpolation ?? "nearest") !== "nearest")
    throw unsupported(call, `interpolation "${String(call.config.interpolation)}" (only nearest is lowered)`);
  const out = call.outputShapes[0];
  const [h, w] = out === undefined ? [] : knownDims(call, out);
  if (h === undefined || w === undefined) throw unsupported(call, "its output size is unknown");
  const size = ints(call.b, `${call.scope}/resize/size`, [h, w]);
  return [
    call.b.op(
      "ResizeNearestNeighbor",
      `${call.scope}/resize`,
      [x.ref, size],
      { ...T, align_corners: attr.bool(false), half_pixel_centers: attr.bool(false) },
      "resized_images",
    ),
  ];
}

/** RepeatVector: ExpandDims then Tile along the new axis. */
export function repeatVector(call: LayerCall): string[] {
  const x = only(call);
  const { b, scope } = call;
  const expanded = b.op(
    "ExpandDims",
    `${scope}/ExpandDims`,
    [x.ref, scalar(b, `${scope}/ExpandDims/dim`, 1, "int32")],
    { ...T, Tdim: attr.type("int32") },
  );
  const multiples = ints(b, `${scope}/Tile/multiples`, [1, num(call.config.n, 1), 1]);
  return [b.op("Tile", `${scope}/Tile`, [expanded, multiples], { ...T, Tmultiples: attr.type("int32") })];
}

/** UpSampling1D: each step repeated `size` times (ExpandDims, Tile, Reshape to the static size). */
export function upSampling1d(call: LayerCall): string[] {
  const x = only(call);
  const { b, scope } = call;
  const out = call.outputShapes[0];
  if (out === undefined) throw unsupported(call, "its output shape is unknown");
  const dims = knownDims(call, out);
  const expanded = b.op(
    "ExpandDims",
    `${scope}/ExpandDims`,
    [x.ref, scalar(b, `${scope}/ExpandDims/dim`, 2, "int32")],
    { ...T, Tdim: attr.type("int32") },
  );
  const tiled = b.op(
    "Tile",
    `${scope}/Tile`,
    [expanded, ints(b, `${scope}/Tile/multiples`, [1, 1, num(call.config.size, 2), 1])],
    { ...T, Tmultiples: attr.type("int32") },
  );
  return [
    b.op("Reshape", `${scope}/Reshape`, [tiled, ints(b, `${scope}/Reshape/shape`, [-1, ...dims])], {
      ...T,
      Tshape: attr.type("int32"),
    }),
  ];
}
