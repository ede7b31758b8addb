import type * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";

// What the tfjs backends hold: a layer computes and keeps its weights in one of these.
const BACKEND: ReadonlySet<string> = new Set(["float32", "int32", "bool"]);

// Integer inputs Keras declares that the backend holds as int32 (what toTensor feeds them as).
const INT_INPUTS: ReadonlySet<string> = new Set(["int8", "int16", "int64", "uint8", "uint16", "uint32", "uint64"]);

// What an input may declare besides: strings (text models), which only the layer they feed can refuse.
const OTHER_INPUTS: ReadonlySet<string> = new Set(["string"]);

const KNOWN_OTHERS: Readonly<Record<string, string>> = {
  float16: "half-precision compute",
  bfloat16: "half-precision compute",
  float64: "double-precision compute",
  mixed_float16: "a mixed-precision policy (float16 compute)",
  mixed_bfloat16: "a mixed-precision policy (bfloat16 compute)",
  string: "string tensors",
  complex64: "complex tensors",
  complex128: "complex tensors",
};

/**
 * Checks a layer's dtype (its variable and compute dtype, or a Keras dtype policy name) against
 * what the backend computes in, and returns it. `input` marks an input layer, whose integer
 * dtypes are fed as int32.
 */
export function checkLayerDtype(dtype: string, layer: string, input = false): string {
  if (BACKEND.has(dtype) || (input && (INT_INPUTS.has(dtype) || OTHER_INPUTS.has(dtype)))) return dtype;
  const what =
    KNOWN_OTHERS[dtype] ??
    (INT_INPUTS.has(dtype) ? "integer weights of a width the backend lacks" : "not a dtype Keras knows");
  throw new EngineError(
    "unsupported",
    cannot(
      "make",
      `layer "${layer}"`,
      `its dtype "${dtype}" is ${what}; the backend computes in float32, int32 and bool${input ? " (integer inputs as int32)" : ""}`,
    ),
  );
}

/** The backend dtype a symbolic tensor of a Keras dtype is computed in. */
export function backendDtype(dtype: string): tf.DataType {
  if (BACKEND.has(dtype)) return dtype as tf.DataType;
  return INT_INPUTS.has(dtype) ? "int32" : "float32";
}
