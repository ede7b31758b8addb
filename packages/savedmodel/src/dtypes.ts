import type { DType } from "@kerastore/core";

/** TensorFlow `DataType` numbers (types.proto) of the dtypes Kerastore holds. */
const FROM_TF: ReadonlyMap<number, DType> = new Map<number, DType>([
  [1, "float32"],
  [2, "float64"],
  [3, "int32"],
  [4, "uint8"],
  [5, "int16"],
  [6, "int8"],
  [7, "string"],
  [8, "complex64"],
  [9, "int64"],
  [10, "bool"],
  [14, "bfloat16"],
  [17, "uint16"],
  [18, "complex128"],
  [19, "float16"],
  [22, "uint32"],
  [23, "uint64"],
]);

/** TensorFlow's names for the `DataType`s Kerastore cannot hold as values. */
const OTHER_TF: ReadonlyMap<number, string> = new Map([
  [0, "invalid"],
  [11, "qint8"],
  [12, "quint8"],
  [13, "qint32"],
  [15, "qint16"],
  [16, "quint16"],
  [20, "resource"],
  [21, "variant"],
  [24, "float8_e5m2"],
  [25, "float8_e4m3fn"],
]);

/** The dtype of a TensorFlow `DataType` number, or undefined when Kerastore has none. */
export function dtypeOfDataType(value: number): DType | undefined {
  return FROM_TF.get(value);
}

/**
 * A name for any `DataType` number: the Kerastore dtype when there is one, else TensorFlow's
 * name (`resource`, `variant`), else `DataType <n>`. Reference types (n + 100) read as their base.
 */
export function dataTypeName(value: number): string {
  const base = value > 100 && value < 200 ? value - 100 : value;
  return FROM_TF.get(base) ?? OTHER_TF.get(base) ?? `DataType ${value}`;
}
