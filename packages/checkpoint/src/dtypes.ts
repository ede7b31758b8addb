import type { DType } from "@kerastore/core";

/** TensorFlow `DataType` numbers (types.proto) of the dtypes Kerastore holds. */
const TO_TF: { readonly [D in DType]: number } = {
  float32: 1,
  float64: 2,
  int32: 3,
  uint8: 4,
  int16: 5,
  int8: 6,
  string: 7,
  complex64: 8,
  int64: 9,
  bool: 10,
  bfloat16: 14,
  uint16: 17,
  complex128: 18,
  float16: 19,
  uint32: 22,
  uint64: 23,
};

const FROM_TF = new Map<number, DType>(Object.entries(TO_TF).map(([name, n]) => [n, name as DType]));

/** Names of TensorFlow dtypes a checkpoint may hold that Kerastore cannot represent. */
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

/** The TensorFlow `DataType` number of a dtype. */
export function tfDataType(dtype: DType): number {
  return TO_TF[dtype];
}

/** The dtype of a TensorFlow `DataType` number, or undefined when Kerastore has none. */
export function dtypeOfTf(value: number): DType | undefined {
  return FROM_TF.get(value);
}

/** A readable name for any `DataType` number, for messages. */
export function tfDataTypeName(value: number): string {
  return FROM_TF.get(value) ?? OTHER_TF.get(value) ?? `DataType ${value}`;
}
