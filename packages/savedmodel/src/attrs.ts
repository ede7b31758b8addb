import { type HostTensor, cannot, utf8Decode } from "@kerastore/core";
import { dataTypeName } from "./dtypes.js";
import { SavedModelError } from "./errors.js";
import type { AttrValue, AttrValue_ListValue, NameAttrList } from "./gen/graph_pb.js";
import type { TensorProto, TensorShapeProto } from "./gen/tensor_pb.js";
import { type PartialShape, partialShapeOf } from "./shape.js";
import { decodeTensorProto } from "./tensor-proto.js";

/**
 * Typed access to one node's attributes, for kernels.
 *
 * Each getter throws a SavedModelError naming the node and the attribute when the attribute
 * is missing (and no fallback is given) or holds another kind of value.
 */
export interface NodeAttrs {
  /** Whether the node has the attribute. */
  has(name: string): boolean;
  int(name: string, fallback?: number): number;
  float(name: string, fallback?: number): number;
  bool(name: string, fallback?: boolean): boolean;
  /** A bytes attribute as UTF-8 text (`padding`, `data_format`). */
  string(name: string, fallback?: string): string;
  /** A type attribute as a dtype name (`float32`; TensorFlow's name for others). */
  type(name: string, fallback?: string): string;
  ints(name: string, fallback?: readonly number[]): number[];
  floats(name: string, fallback?: readonly number[]): number[];
  types(name: string, fallback?: readonly string[]): string[];
  shape(name: string): PartialShape;
  /** A tensor attribute (a `Const` node's `value`). */
  tensor(name: string): HostTensor;
  /** The function a `func` attribute names (`f` of a call op). */
  func(name: string): string;
  /** The functions a list attribute names (`branches` of a `Case`). */
  funcs(name: string): string[];
}

/** The value type of each kind of attribute. */
interface AttrKinds {
  s: Uint8Array;
  i: bigint;
  f: number;
  b: boolean;
  type: number;
  shape: TensorShapeProto;
  tensor: TensorProto;
  list: AttrValue_ListValue;
  func: NameAttrList;
}

/** Wraps a node's attribute map; `where` names the node for messages. */
export function nodeAttrs(attr: { readonly [name: string]: AttrValue }, where: string): NodeAttrs {
  const get = <K extends keyof AttrKinds>(name: string, kind: K): AttrKinds[K] | undefined => {
    if (!Object.hasOwn(attr, name)) return undefined;
    const v = attr[name]!.value;
    if (v.case !== kind) {
      throw new SavedModelError(
        "corrupt",
        cannot("read", `attribute "${name}" of ${where}`, `expected ${kind}, found ${v.case ?? "nothing"}`),
      );
    }
    return v.value as AttrKinds[K];
  };
  const missing = (name: string): never => {
    throw new SavedModelError(
      "corrupt",
      cannot("read", `attribute "${name}" of ${where}`, "the node does not have it"),
    );
  };
  const list = (name: string) => get(name, "list");
  const safe = (n: bigint, name: string): number => {
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new SavedModelError("corrupt", cannot("read", `attribute "${name}" of ${where}`, `${n} is out of range`));
    }
    return Number(n);
  };
  return {
    has: (name) => Object.hasOwn(attr, name),
    int: (name, fallback) => {
      const v = get(name, "i");
      return v === undefined ? (fallback ?? missing(name)) : safe(v, name);
    },
    float: (name, fallback) => get(name, "f") ?? fallback ?? missing(name),
    bool: (name, fallback) => get(name, "b") ?? fallback ?? missing(name),
    string: (name, fallback) => {
      const v = get(name, "s");
      return v === undefined ? (fallback ?? missing(name)) : utf8Decode(v);
    },
    type: (name, fallback) => {
      const v = get(name, "type");
      return v === undefined ? (fallback ?? missing(name)) : dataTypeName(v);
    },
    ints: (name, fallback) => {
      const v = list(name);
      return v === undefined ? [...(fallback ?? missing(name))] : v.i.map((n) => safe(n, name));
    },
    floats: (name, fallback) => {
      const v = list(name);
      return v === undefined ? [...(fallback ?? missing(name))] : [...v.f];
    },
    types: (name, fallback) => {
      const v = list(name);
      return v === undefined ? [...(fallback ?? missing(name))] : v.type.map(dataTypeName);
    },
    shape: (name) => {
      const v = get(name, "shape");
      return v === undefined ? missing(name) : partialShapeOf(v, `attribute "${name}" of ${where}`);
    },
    tensor: (name) => {
      const v = get(name, "tensor");
      return v === undefined ? missing(name) : decodeTensorProto(v, `attribute "${name}" of ${where}`);
    },
    func: (name) => {
      const v = get(name, "func");
      return v === undefined ? missing(name) : v.name;
    },
    funcs: (name) => {
      const v = list(name);
      return v === undefined ? missing(name) : v.func.map((f) => f.name);
    },
  };
}
