import type { DType, JsonObject, JsonValue } from "@kerastore/core";
import type { Layer, Shape } from "@kerastore/engine";
import { type FunctionBuilder, attr } from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";
import { activationName, ints, lowerActivation } from "./lower-activations.js";

/** A tensor of the function being built: its reference, static shape and dtype. */
export interface LoweredTensor {
  readonly ref: string;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** What a layer's lowering gets: the builder, the layer and its call. */
export interface LayerCall {
  readonly b: FunctionBuilder;
  readonly layer: Layer;
  readonly config: JsonObject;
  /** Node-name prefix (the layer's name). */
  readonly scope: string;
  readonly inputs: readonly LoweredTensor[];
  readonly outputShapes: readonly Shape[];
  /** The model computes the activations Keras 3 changed as Keras 2 defined them (it was read from a Keras 2 file). */
  readonly keras2Definitions: boolean;
  /** For messages: `layer "dense" (Dense)`. */
  readonly where: string;
  /** A `ReadVariableOp` of the layer's own weight `name`, or undefined when it has none. */
  weight(name: string): string | undefined;
  /** Lowers a sublayer the layer tracks (a wrapper's inner layer) on `inputs`, with its own weights. */
  sublayer(sub: Layer, inputs: readonly LoweredTensor[]): string[];
}

/** Lowers one call of a layer class to TensorFlow ops; returns its outputs' references. */
export type Lowering = (call: LayerCall) => string[];

/** The `T` attribute of float32 ops. */
export const T: { readonly T: ReturnType<typeof attr.type> } = { T: attr.type("float32") };

export function unsupported(call: LayerCall, reason: string): LoweringError {
  return new LoweringError(
    "unsupported",
    `cannot save ${call.where} as a SavedModel: ${reason}; save to .keras or .h5 instead`,
  );
}

export function pair(value: JsonValue | undefined, fallback: number): [number, number] {
  if (typeof value === "number") return [value, value];
  if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "number") return [value[0], value[1]];
  return [fallback, fallback];
}

export function num(value: JsonValue | undefined, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

export function only(call: LayerCall): LoweredTensor {
  const x = call.inputs[0];
  if (x === undefined || call.inputs.length !== 1)
    throw unsupported(call, `it takes ${call.inputs.length} inputs, expected 1`);
  return x;
}

export function channelsLast(call: LayerCall): void {
  const format = call.config.data_format;
  if (format !== undefined && format !== null && format !== "channels_last")
    throw unsupported(call, `data_format "${String(format)}" (only channels_last is lowered)`);
}

/** Known non-batch dimensions of a shape, or an error naming the layer. */
export function knownDims(call: LayerCall, shape: Shape): number[] {
  const rest = shape.slice(1);
  if (rest.some((d) => d === null))
    throw unsupported(call, `its shape [${shape.map((d) => d ?? "None").join(", ")}] has unknown non-batch dimensions`);
  return rest as number[];
}

export function reshape(call: LayerCall, x: string, dims: readonly number[], suffix = "Reshape"): string {
  return call.b.op(
    "Reshape",
    `${call.scope}/${suffix}`,
    [x, ints(call.b, `${call.scope}/${suffix}/shape`, [-1, ...dims])],
    { ...T, Tshape: attr.type("int32") },
  );
}

export function withBiasAndActivation(call: LayerCall, y: string): string {
  const bias = call.config.use_bias === false ? undefined : call.weight("bias");
  const biased = bias === undefined ? y : call.b.op("BiasAdd", `${call.scope}/BiasAdd`, [y, bias], T);
  return lowerActivation(
    call.b,
    call.scope,
    biased,
    activationName(call.config.activation),
    call.where,
    call.keras2Definitions,
  );
}
