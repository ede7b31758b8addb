import { type JsonObject, type JsonValue, cannot } from "@kerastore/core";
import type { Layer } from "@kerastore/engine";
import { BuiltinOperator } from "@kerastore/tflite";
import { TfliteLoweringError } from "./errors.js";
import type { GraphBuilder } from "./graph-builder.js";

/** A lowered tensor: its index in the subgraph and its static shape (batch included). */
export interface Lowered {
  readonly index: number;
  readonly shape: readonly number[];
}

/** A weight's value as the live layer holds it. */
export interface WeightValue {
  readonly values: Float32Array;
  readonly shape: readonly number[];
}

/** A BatchNormalization folded into the op before it: `y * scale + offset` per output channel. */
export interface FoldedNorm {
  readonly scale: Float32Array;
  readonly offset: Float32Array;
}

/** What a layer's lowering gets. */
export interface LayerCall {
  readonly g: GraphBuilder;
  readonly layer: Layer;
  readonly config: JsonObject;
  /** Tensor-name prefix (the layer's name, nested models' names before it). */
  readonly name: string;
  readonly inputs: readonly Lowered[];
  /** Output shapes with the batch size filled in. */
  readonly outputShapes: readonly (readonly number[])[];
  /** For messages: `layer "dense" (Dense)`. */
  readonly where: string;
  /** The layer's own weight `name` (or a tracked sublayer's, such as an RNN cell's). */
  weight(name: string): WeightValue | undefined;
  /** Set when the BatchNormalization after this layer is folded into its weights. */
  readonly fold: FoldedNorm | undefined;
}

export type Lowering = (call: LayerCall) => Lowered[];

export function unsupported(call: { where: string }, reason: string): TfliteLoweringError {
  return new TfliteLoweringError(
    "unsupported",
    cannot("convert", `${call.where} to TFLite`, reason, "save to .keras or .h5, which hold any layer"),
  );
}

export function only(call: LayerCall): Lowered {
  const x = call.inputs[0];
  if (x === undefined || call.inputs.length !== 1)
    throw unsupported(call, `it takes ${call.inputs.length} inputs, expected 1`);
  return x;
}

export function num(value: JsonValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

export function pair(value: JsonValue | undefined, fallback: number): [number, number] {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "number") return [value[0], value[1]];
  if (Array.isArray(value) && typeof value[0] === "number") return [value[0], value[0]];
  return [fallback, fallback];
}

export function channelsLast(call: LayerCall): void {
  const format = call.config.data_format;
  if (format !== undefined && format !== null && format !== "channels_last")
    throw unsupported(call, `data_format "${String(format)}" (only channels_last is lowered)`);
}

export function outputShape(call: LayerCall, i = 0): readonly number[] {
  const shape = call.outputShapes[i];
  if (shape === undefined) throw unsupported(call, "its output shape is unknown");
  return shape;
}

/** RESHAPE to `shape` (batch included), with the shape both as the second input and the option. */
export function reshape(
  call: { g: GraphBuilder; name: string },
  x: Lowered,
  shape: readonly number[],
  suffix = "reshape",
): Lowered {
  if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
  const target = call.g.ints(`${call.name}/${suffix}/shape`, [shape.length], shape);
  const index = call.g.op(BuiltinOperator.RESHAPE, [x.index, target], shape, `${call.name}/${suffix}`, {
    kind: "ReshapeOptions",
    newShape: [...shape],
  });
  return { index, shape };
}

/** Keras's `[in, out]` kernel as TFLite's `[out, in]` FULLY_CONNECTED weights. */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

/** Moves the last axis of a row-major tensor to the front (HWIO -> OHWI). */
export function lastAxisFirst(values: Float32Array, shape: readonly number[]): Float32Array {
  const last = shape[shape.length - 1]!;
  const rest = values.length / last;
  const out = new Float32Array(values.length);
  for (let i = 0; i < rest; i++) for (let o = 0; o < last; o++) out[o * rest + i] = values[i * last + o]!;
  return out;
}
