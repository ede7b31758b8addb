import type { BuiltinOptionsData } from "./builtin-options.js";

/** TFLite's tensor element types (`TensorType` of schema.fbs). */
export const TensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
  FLOAT64: 10,
  COMPLEX128: 11,
  UINT64: 12,
  RESOURCE: 13,
  VARIANT: 14,
  UINT32: 15,
  UINT16: 16,
  INT4: 17,
  BFLOAT16: 18,
} as const;

/** The builtin operator codes Kerastore writes or runs (`BuiltinOperator` of schema.fbs). */
export const BuiltinOperator = {
  ADD: 0,
  AVERAGE_POOL_2D: 1,
  CONCATENATION: 2,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  FULLY_CONNECTED: 9,
  LOGISTIC: 14,
  MAX_POOL_2D: 17,
  MUL: 18,
  RELU: 19,
  RELU_N1_TO_1: 20,
  RELU6: 21,
  RESHAPE: 22,
  SOFTMAX: 25,
  TANH: 28,
  CUSTOM: 32,
  PAD: 34,
  UNIDIRECTIONAL_SEQUENCE_RNN: 35,
  GATHER: 36,
  TRANSPOSE: 39,
  MEAN: 40,
  SUB: 41,
  DIV: 42,
  SQUEEZE: 43,
  UNIDIRECTIONAL_SEQUENCE_LSTM: 44,
  STRIDED_SLICE: 45,
  EXP: 47,
  SPLIT: 49,
  LOG_SOFTMAX: 50,
  CAST: 53,
  MAXIMUM: 55,
  NEG: 59,
  LOG: 73,
  REDUCE_MAX: 82,
  ABS: 101,
  MINIMUM: 57,
  TRANSPOSE_CONV: 67,
  EXPAND_DIMS: 70,
  PACK: 83,
  UNPACK: 88,
  LEAKY_RELU: 98,
  ELU: 111,
  HARD_SWISH: 117,
  WHILE: 119,
  PLACEHOLDER_FOR_GREATER_OP_CODES: 127,
  GELU: 150,
} as const;

/** The schema version Kerastore writes (`TFLITE_SCHEMA_VERSION`). */
export const TFLITE_SCHEMA_VERSION = 3;

/** `deprecated_builtin_code` for a builtin code: the code below 127, else 127 (PLACEHOLDER_FOR_GREATER_OP_CODES). */
export function deprecatedBuiltinCode(code: number): number {
  return Math.min(code, BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES);
}

/** Linear quantization of a tensor: `real = scale * (q - zeroPoint)`, per tensor or per `quantizedDimension` slice. */
export interface TfliteQuantization {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly quantizedDimension: number;
  readonly min?: readonly number[] | undefined;
  readonly max?: readonly number[] | undefined;
}

/** One tensor of a subgraph. */
export interface TfliteTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** The shape with -1 for sizes fixed only at run time (the batch), when the file says. */
  readonly shapeSignature?: readonly number[] | undefined;
  /** A `TensorType` value. */
  readonly type: number;
  /** Index into the model's buffers; 0 (the empty sentinel) for tensors computed at run time. */
  readonly buffer: number;
  readonly quantization?: TfliteQuantization | undefined;
  readonly isVariable?: boolean | undefined;
}

/** One operator: which code it runs, on which tensors (-1 = an optional input left out). */
export interface TfliteOperator {
  readonly opcodeIndex: number;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly options?: BuiltinOptionsData | undefined;
}

/** An operator code: a builtin (its extended code) or a custom op by name, with its version. */
export interface TfliteOperatorCode {
  readonly builtinCode: number;
  readonly customCode?: string | undefined;
  readonly version: number;
}

export interface TfliteSubgraph {
  readonly name?: string | undefined;
  readonly tensors: readonly TfliteTensor[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** In execution order. */
  readonly operators: readonly TfliteOperator[];
}

/** A signature's named inputs or outputs. */
export interface TfliteTensorMap {
  readonly name: string;
  readonly tensorIndex: number;
}

export interface TfliteSignatureDef {
  readonly signatureKey: string;
  readonly subgraphIndex: number;
  readonly inputs: readonly TfliteTensorMap[];
  readonly outputs: readonly TfliteTensorMap[];
}

export interface TfliteMetadata {
  readonly name: string;
  /** Index into the model's buffers. */
  readonly buffer: number;
}

/**
 * A TFLite model as plain data: what `readTflite` returns and `writeTflite` takes.
 *
 * `buffers[0]` is the empty sentinel buffer every model starts with. Buffer bytes are views
 * into the file read (no copies).
 */
export interface TfliteModel {
  readonly version: number;
  readonly description?: string | undefined;
  readonly operatorCodes: readonly TfliteOperatorCode[];
  readonly subgraphs: readonly TfliteSubgraph[];
  readonly buffers: readonly Uint8Array[];
  readonly metadata: readonly TfliteMetadata[];
  readonly signatureDefs: readonly TfliteSignatureDef[];
}

/** Bytes per element of a `TensorType` with a fixed width (undefined for strings, int4 and the rest). */
export function tensorTypeSize(type: number): number | undefined {
  switch (type) {
    case TensorType.FLOAT32:
    case TensorType.INT32:
    case TensorType.UINT32:
      return 4;
    case TensorType.FLOAT16:
    case TensorType.INT16:
    case TensorType.UINT16:
    case TensorType.BFLOAT16:
      return 2;
    case TensorType.UINT8:
    case TensorType.INT8:
    case TensorType.BOOL:
      return 1;
    case TensorType.INT64:
    case TensorType.UINT64:
    case TensorType.FLOAT64:
    case TensorType.COMPLEX64:
      return 8;
    case TensorType.COMPLEX128:
      return 16;
    default:
      return undefined;
  }
}

/** The name of a `TensorType` value (`FLOAT32`), or `TensorType(<n>)`. */
export function tensorTypeName(type: number): string {
  return Object.entries(TensorType).find(([, v]) => v === type)?.[0] ?? `TensorType(${type})`;
}

/** The name of a builtin operator code (`CONV_2D`), or `BuiltinOperator(<n>)`. */
export function builtinOperatorName(code: number): string {
  return Object.entries(BuiltinOperator).find(([, v]) => v === code)?.[0] ?? `BuiltinOperator(${code})`;
}
