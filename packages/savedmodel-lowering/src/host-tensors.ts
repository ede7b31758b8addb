import { type HostTensor, cannot, decodeBfloat16, decodeFloat16, hostTensor, stringTensor } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import { LoweringError } from "./errors.js";

/** The tfjs dtype a TensorFlow dtype runs as (tfjs has no 64-bit or small integer types). */
export function tfjsDtypeOf(dtype: string): tf.DataType {
  if (dtype === "bool" || dtype === "string" || dtype === "complex64") return dtype;
  if (dtype.startsWith("float") || dtype === "bfloat16" || dtype === "complex128") return "float32";
  return "int32";
}

/** Makes a tfjs tensor of a HostTensor; 64-bit integers must fit in int32. */
export function toTfjs(t: HostTensor, where: string): tf.Tensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case "string":
      return tf.tensor(t.data, shape, "string");
    case "float32":
      return tf.tensor(t.data as Float32Array, shape, "float32");
    case "float64":
      return tf.tensor(Float32Array.from(t.data as Float64Array), shape, "float32");
    case "float16":
      return tf.tensor(decodeFloat16(t.data as Uint16Array), shape, "float32");
    case "bfloat16":
      return tf.tensor(decodeBfloat16(t.data as Uint16Array), shape, "float32");
    case "bool":
      return tf.tensor(t.data as Uint8Array, shape, "bool");
    case "int64":
    case "uint64": {
      const data = t.data as BigInt64Array | BigUint64Array;
      const out = new Int32Array(data.length);
      for (const [i, v] of data.entries()) {
        if (v > 2147483647n || v < -2147483648n) {
          throw new LoweringError(
            "unsupported",
            cannot("run", where, `${t.dtype} value ${v} does not fit the int32 the backend computes in`),
          );
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, "int32");
    }
    case "uint32":
      if ((t.data as Uint32Array).some((v) => v > 2147483647))
        throw new LoweringError(
          "unsupported",
          cannot("run", where, "a uint32 value does not fit the int32 the backend computes in"),
        );
      return tf.tensor(Int32Array.from(t.data as Uint32Array), shape, "int32");
    case "complex64":
    case "complex128":
      throw new LoweringError("unsupported", cannot("run", where, `${t.dtype} tensors are not computed`));
    default:
      return tf.tensor(Int32Array.from(t.data as ArrayLike<number>), shape, "int32");
  }
}

/** Reads a tfjs tensor back as a HostTensor of `dtype` (TensorFlow's dtype; default the tensor's). */
export async function toHost(t: tf.Tensor, dtype?: string): Promise<HostTensor> {
  const shape = [...t.shape];
  if (t.dtype === "string") {
    const bytes = (await t.data()) as unknown as Uint8Array[];
    return stringTensor(shape, bytes);
  }
  const data = await t.data();
  switch (dtype ?? t.dtype) {
    case "int64":
      return hostTensor(
        "int64",
        shape,
        BigInt64Array.from(data as Int32Array, (v) => BigInt(v)),
      );
    case "float64":
      return hostTensor("float64", shape, Float64Array.from(data as Float32Array));
    case "int32":
      return hostTensor("int32", shape, Int32Array.from(data as Int32Array));
    case "bool":
      return hostTensor("bool", shape, Uint8Array.from(data as Uint8Array));
    default:
      return t.dtype === "int32"
        ? hostTensor("int32", shape, Int32Array.from(data))
        : hostTensor("float32", shape, Float32Array.from(data));
  }
}
