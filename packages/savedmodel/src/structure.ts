import { cannot } from "@kerastore/core";
import { dataTypeName } from "./dtypes.js";
import { SavedModelError } from "./errors.js";
import type { StructuredValue } from "./gen/struct_pb.js";
import { type PartialShape, partialShapeOf } from "./shape.js";

/** A tensor's expected name, dtype and shape, as a function signature records it. */
export interface TensorSpec {
  /** The argument name TensorFlow gave the tensor (empty when none). */
  readonly name: string;
  /** The Kerastore dtype name, or TensorFlow's name for others (`resource`). */
  readonly dtype: string;
  readonly shape: PartialShape;
}

/**
 * A Python structure of tensors as TensorFlow records it (`StructuredValue`): the inputs of a
 * concrete function (`(args_tuple, kwargs_dict)`) or its outputs.
 */
export type Structure =
  | { readonly kind: "tensor"; readonly spec: TensorSpec }
  | { readonly kind: "none" }
  | { readonly kind: "value"; readonly value: string | number | boolean | bigint }
  | { readonly kind: "list" | "tuple"; readonly items: readonly Structure[] }
  /** Fields sorted by key, the order TensorFlow flattens a dict in. */
  | { readonly kind: "dict"; readonly fields: readonly (readonly [string, Structure])[] }
  | { readonly kind: "namedtuple"; readonly name: string; readonly fields: readonly (readonly [string, Structure])[] }
  /** Something Kerastore does not flatten (composite tensors such as RaggedTensor). */
  | { readonly kind: "unsupported"; readonly what: string };

/** A structure with its tensors replaced by values of type `T`. */
export type Packed<T> =
  | T
  | null
  | string
  | number
  | boolean
  | bigint
  | readonly Packed<T>[]
  | { readonly [key: string]: Packed<T> };

/** Structures nesting deeper than this are refused. */
const MAX_DEPTH = 100;

/** Decodes a `StructuredValue`. */
export function decodeStructure(value: StructuredValue | undefined, where: string, depth = 0): Structure {
  if (depth > MAX_DEPTH)
    throw new SavedModelError("corrupt", cannot("read", where, `the structure nests deeper than ${MAX_DEPTH}`));
  const kind = value?.kind;
  if (kind === undefined || kind.case === undefined || kind.case === "noneValue") return { kind: "none" };
  switch (kind.case) {
    case "float64Value":
    case "int64Value":
    case "stringValue":
    case "boolValue":
      return { kind: "value", value: kind.value };
    case "tensorSpecValue":
    case "boundedTensorSpecValue":
      return {
        kind: "tensor",
        spec: {
          name: kind.value.name,
          dtype: dataTypeName(kind.value.dtype),
          shape: partialShapeOf(kind.value.shape, where),
        },
      };
    case "listValue":
    case "tupleValue":
      return {
        kind: kind.case === "listValue" ? "list" : "tuple",
        items: kind.value.values.map((v) => decodeStructure(v, where, depth + 1)),
      };
    case "dictValue":
      return {
        kind: "dict",
        fields: Object.keys(kind.value.fields)
          .sort()
          .map((k) => [k, decodeStructure(kind.value.fields[k], where, depth + 1)] as const),
      };
    case "namedTupleValue":
      return {
        kind: "namedtuple",
        name: kind.value.name,
        fields: kind.value.values.map((p) => [p.key, decodeStructure(p.value, where, depth + 1)] as const),
      };
    case "typeSpecValue":
      return { kind: "unsupported", what: `a ${kind.value.typeSpecClassName || "composite tensor"} type spec` };
    default:
      return { kind: "unsupported", what: `a ${kind.case}` };
  }
}

/** The tensor specs of a structure in TensorFlow's flattening order (dicts by sorted key). */
export function flattenSpecs(structure: Structure): TensorSpec[] {
  const out: TensorSpec[] = [];
  const visit = (s: Structure): void => {
    switch (s.kind) {
      case "tensor":
        out.push(s.spec);
        return;
      case "list":
      case "tuple":
        for (const item of s.items) visit(item);
        return;
      case "dict":
      case "namedtuple":
        for (const [, item] of s.fields) visit(item);
        return;
      case "unsupported":
        throw new SavedModelError("unsupported", cannot("flatten", "a function signature", `it holds ${s.what}`));
      default:
        return;
    }
  };
  visit(structure);
  return out;
}

/** Rebuilds a structure from its flattened tensors (the inverse of `flattenSpecs`). */
export function packStructure<T>(structure: Structure, flat: readonly T[]): Packed<T> {
  let next = 0;
  const build = (s: Structure): Packed<T> => {
    switch (s.kind) {
      case "tensor": {
        if (next >= flat.length)
          throw new SavedModelError(
            "corrupt",
            cannot("pack", "function outputs", `only ${flat.length} outputs for the output signature`),
          );
        return flat[next++]!;
      }
      case "none":
        return null;
      case "value":
        return s.value;
      case "list":
      case "tuple":
        return s.items.map(build);
      case "dict":
      case "namedtuple":
        return Object.fromEntries(s.fields.map(([k, v]) => [k, build(v)]));
      case "unsupported":
        throw new SavedModelError(
          "unsupported",
          cannot("pack", "function outputs", `the output signature holds ${s.what}`),
        );
    }
  };
  const packed = build(structure);
  if (next !== flat.length) {
    throw new SavedModelError(
      "corrupt",
      cannot("pack", "function outputs", `${flat.length} outputs for ${next} tensors in the output signature`),
    );
  }
  return packed;
}
