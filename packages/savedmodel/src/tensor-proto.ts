import {
  type HostTensor,
  type NumericDType,
  allocate,
  cannot,
  hostTensor,
  itemSize,
  sizeOf,
  viewAs,
} from "@kerastore/core";
import { dataTypeName, dtypeOfDataType } from "./dtypes.js";
import { SavedModelError } from "./errors.js";
import type { TensorProto } from "./gen/tensor_pb.js";
import { fullShapeOf } from "./shape.js";

/**
 * Tensors whose typed value list is shorter than their shape are filled by repeating the last
 * value (as TensorFlow does); a lying shape must not make that fill allocate without bound.
 */
const MAX_FILLED_ELEMENTS = 1 << 24;

/**
 * Decodes a `TensorProto` (a `Const` node's value, a signature default) into a HostTensor.
 *
 * Values come from `tensor_content` (little-endian bytes, which must match the shape exactly)
 * or from the typed `*_val` list, where fewer values than elements repeat the last one and no
 * values mean zeros.
 */
export function decodeTensorProto(proto: TensorProto, where: string): HostTensor {
  const dtype = dtypeOfDataType(proto.dtype);
  if (dtype === undefined) {
    throw new SavedModelError(
      "unsupported",
      cannot("read", `the tensor of ${where}`, `dtype ${dataTypeName(proto.dtype)} has no host representation`),
    );
  }
  const shape = fullShapeOf(proto.tensorShape, `the tensor of ${where}`);
  const count = sizeOf(shape);
  if (!Number.isSafeInteger(count)) {
    throw new SavedModelError(
      "corrupt",
      cannot("read", `the tensor of ${where}`, `shape [${shape.join(", ")}] is too large`),
    );
  }
  if (dtype === "string") {
    const values = proto.stringVal;
    if (values.length !== count && !(values.length === 1 && count <= MAX_FILLED_ELEMENTS)) {
      throw new SavedModelError(
        "corrupt",
        cannot("read", `the tensor of ${where}`, `${values.length} strings for shape [${shape.join(", ")}]`),
      );
    }
    const data = values.length === count ? [...values] : Array.from({ length: count }, () => values[0]!);
    return { dtype, shape, data };
  }
  if (proto.tensorContent.length > 0) {
    const expected = count * itemSize(dtype);
    if (proto.tensorContent.length !== expected) {
      throw new SavedModelError(
        "corrupt",
        cannot(
          "read",
          `the tensor of ${where}`,
          `tensor_content holds ${proto.tensorContent.length} bytes, ${dtype} [${shape.join(", ")}] needs ${expected}`,
        ),
      );
    }
    return hostTensor(dtype, shape, viewAs(dtype, proto.tensorContent.slice()));
  }
  return hostTensor(dtype, shape, fromValueList(proto, dtype, count, where));
}

function fromValueList(proto: TensorProto, dtype: NumericDType, count: number, where: string) {
  const values = valueListOf(proto, dtype);
  const lanes = dtype === "complex64" || dtype === "complex128" ? 2 : 1;
  const given = values.length / lanes;
  if (!Number.isInteger(given) || given > count) {
    throw new SavedModelError(
      "corrupt",
      cannot("read", `the tensor of ${where}`, `${values.length} values for ${dtype} [${count} elements]`),
    );
  }
  if (given < count && count > MAX_FILLED_ELEMENTS) {
    throw new SavedModelError(
      "unsupported",
      cannot(
        "read",
        `the tensor of ${where}`,
        `filling ${count} elements from ${given} values is over the limit of ${MAX_FILLED_ELEMENTS}`,
      ),
    );
  }
  const data = allocate(dtype, count * lanes);
  if (given === 0) return data;
  const wide = dtype === "int64" || dtype === "uint64";
  for (let i = 0; i < count * lanes; i++) {
    const src = i < values.length ? i : values.length - lanes + (i % lanes);
    const v = values[src]!;
    (data as unknown as (number | bigint)[])[i] = wide ? BigInt(v) : typeof v === "boolean" ? (v ? 1 : 0) : Number(v);
  }
  return data;
}

/** The typed value list TensorFlow uses for each dtype. */
function valueListOf(proto: TensorProto, dtype: NumericDType): readonly (number | bigint | boolean)[] {
  switch (dtype) {
    case "float32":
      return proto.floatVal;
    case "float64":
      return proto.doubleVal;
    case "int32":
    case "int16":
    case "int8":
    case "uint8":
    case "uint16":
      return proto.intVal;
    case "float16":
    case "bfloat16":
      return proto.halfVal;
    case "int64":
      return proto.int64Val;
    case "uint32":
      return proto.uint32Val;
    case "uint64":
      return proto.uint64Val;
    case "bool":
      return proto.boolVal;
    case "complex64":
      return proto.scomplexVal;
    case "complex128":
      return proto.dcomplexVal;
  }
}
