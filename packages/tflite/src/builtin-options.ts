import type * as flatbuffers from "flatbuffers";
import * as gen from "./gen/index.js";
import { BuiltinOptions } from "./gen/builtin-options.js";
import { TfliteError } from "./errors.js";

/**
 * The option tables this package reads and writes, by their schema name, with their fields in
 * the accessor spelling of the generated code (camelCase). Vectors of int are marked `[]`.
 */
const FIELDS = {
  Conv2DOptions: ["padding", "strideW", "strideH", "fusedActivationFunction", "dilationWFactor", "dilationHFactor"],
  DepthwiseConv2DOptions: [
    "padding",
    "strideW",
    "strideH",
    "depthMultiplier",
    "fusedActivationFunction",
    "dilationWFactor",
    "dilationHFactor",
  ],
  Pool2DOptions: ["padding", "strideW", "strideH", "filterWidth", "filterHeight", "fusedActivationFunction"],
  FullyConnectedOptions: ["fusedActivationFunction", "weightsFormat", "keepNumDims", "asymmetricQuantizeInputs"],
  SoftmaxOptions: ["beta"],
  ConcatenationOptions: ["axis", "fusedActivationFunction"],
  AddOptions: ["fusedActivationFunction", "potScaleInt16"],
  ReshapeOptions: ["newShape[]"],
  MulOptions: ["fusedActivationFunction"],
  PadOptions: [],
  GatherOptions: ["axis", "batchDims"],
  TransposeOptions: [],
  ReducerOptions: ["keepDims"],
  SubOptions: ["fusedActivationFunction", "potScaleInt16"],
  DivOptions: ["fusedActivationFunction"],
  SqueezeOptions: ["squeezeDims[]"],
  SequenceRNNOptions: ["timeMajor", "fusedActivationFunction", "asymmetricQuantizeInputs"],
  StridedSliceOptions: ["beginMask", "endMask", "ellipsisMask", "newAxisMask", "shrinkAxisMask", "offset"],
  SplitOptions: ["numSplits"],
  DequantizeOptions: [],
  MaximumMinimumOptions: [],
  TransposeConvOptions: ["padding", "strideW", "strideH", "fusedActivationFunction"],
  ExpandDimsOptions: [],
  PackOptions: ["valuesCount", "axis"],
  UnpackOptions: ["num", "axis"],
  UnidirectionalSequenceLSTMOptions: [
    "fusedActivationFunction",
    "cellClip",
    "projClip",
    "timeMajor",
    "asymmetricQuantizeInputs",
    "diagonalRecurrentTensors",
  ],
  LeakyReluOptions: ["alpha"],
  GeluOptions: ["approximate"],
} as const satisfies Record<Exclude<keyof typeof BuiltinOptions, "NONE">, readonly string[]>;

/** The name of an options table this package knows (`Conv2DOptions`). */
export type BuiltinOptionsKind = keyof typeof FIELDS;

/**
 * An operator's builtin options as plain data: `kind` names the table, the other members are
 * its fields (numbers, booleans, int lists), absent fields at the schema's defaults.
 * Options of a table this package does not know read as `{ kind: "unknown", unionType }`.
 */
export type BuiltinOptionsData =
  | ({ readonly kind: BuiltinOptionsKind } & {
      readonly [field: string]: number | boolean | readonly number[] | string;
    })
  | { readonly kind: "unknown"; readonly unionType: number };

type Accessors = Record<string, (index?: number) => number | boolean | null>;
type Statics = Record<string, (b: flatbuffers.Builder, value?: unknown) => flatbuffers.Offset | undefined>;

function classOf(kind: BuiltinOptionsKind): Statics & (new () => unknown) {
  return (gen as unknown as Record<string, Statics & (new () => unknown)>)[kind]!;
}

function capital(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}

/**
 * Reads the options of union type `unionType` with `read`, which gives the table object (the
 * generated `Operator.builtinOptions(obj)`).
 */
export function readBuiltinOptions(unionType: number, read: <T>(obj: T) => T | null): BuiltinOptionsData | undefined {
  if (unionType === BuiltinOptions.NONE) return undefined;
  const kind = BuiltinOptions[unionType] as BuiltinOptionsKind | undefined;
  if (kind === undefined || !(kind in FIELDS)) return { kind: "unknown", unionType };
  const table = read(new (classOf(kind))()) as Accessors | null;
  if (table === null) return undefined;
  const out: Record<string, number | boolean | readonly number[] | string> = { kind };
  for (const field of FIELDS[kind] as readonly string[]) {
    if (field.endsWith("[]")) {
      const name = field.slice(0, -2);
      const length = table[`${name}Length`]!() as number;
      out[name] = Array.from({ length }, (_, i) => table[name]!(i) as number);
    } else {
      out[field] = table[field]!() as number | boolean;
    }
  }
  return out as BuiltinOptionsData;
}

/** Writes `options` with `b`; returns the union type and the table's offset. */
export function writeBuiltinOptions(
  b: flatbuffers.Builder,
  options: BuiltinOptionsData,
): { type: number; offset: flatbuffers.Offset } {
  if (options.kind === "unknown")
    throw new TfliteError(
      "unsupported",
      `cannot write options of union type ${options.unionType}: the table is not known`,
    );
  const kind = options.kind;
  const cls = classOf(kind);
  const fields = FIELDS[kind] as readonly string[];
  const vectors = new Map<string, flatbuffers.Offset>();
  for (const field of fields.filter((f) => f.endsWith("[]"))) {
    const name = field.slice(0, -2);
    const value = (options as Record<string, unknown>)[name];
    if (Array.isArray(value)) vectors.set(name, cls[`create${capital(name)}Vector`]!(b, value)!);
  }
  cls[`start${kind}`]!(b);
  for (const field of fields) {
    const name = field.endsWith("[]") ? field.slice(0, -2) : field;
    const value = field.endsWith("[]") ? vectors.get(name) : (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    cls[`add${capital(name)}`]!(b, typeof value === "boolean" ? value : value);
  }
  return { type: BuiltinOptions[kind], offset: cls[`end${kind}`]!(b)! };
}
