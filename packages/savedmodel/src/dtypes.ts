import { dtypeOfTf, tfDataTypeName } from "@kerastore/checkpoint";
import type { DType } from "@kerastore/core";

// One table of TensorFlow's DataType numbers, the checkpoint package's (types.proto).

/** The dtype of a TensorFlow `DataType` number, or undefined when Kerastore has none. */
export function dtypeOfDataType(value: number): DType | undefined {
  return dtypeOfTf(value);
}

/**
 * A name for any `DataType` number: the Kerastore dtype when there is one, else TensorFlow's
 * name (`resource`, `variant`), else `DataType <n>`. Reference types (n + 100) read as their base.
 */
export function dataTypeName(value: number): string {
  const base = value > 100 && value < 200 ? value - 100 : value;
  const name = tfDataTypeName(base);
  return name === `DataType ${base}` ? `DataType ${value}` : name;
}
