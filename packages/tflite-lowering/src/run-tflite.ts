import { type HostTensor, type NumericHostTensor, cannot, decodeFloat16, hostTensor } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import {
  TensorType,
  type TfliteModel,
  type TfliteTensor,
  builtinOperatorName,
  tensorTypeName,
} from "@kerastore/tflite";
import { TfliteLoweringError } from "./errors.js";
import { dequantizeInt8 } from "./quantize.js";
import { type Kernel, TFLITE_KERNELS } from "./tflite-kernels.js";

/** A model input or output: its signature name, shape and TFLite type name (`FLOAT32`). */
export interface TfliteTensorInfo {
  readonly name: string;
  readonly shape: readonly number[];
  readonly type: string;
}

/** What `predict` takes: host tensors (or tfjs tensors) in the order of `inputs`. */
export type TfliteInput = HostTensor | tf.Tensor;

/** Runs a TFLite model's first subgraph on the tfjs backend. */
export interface TfliteRunner {
  readonly model: TfliteModel;
  readonly inputs: readonly TfliteTensorInfo[];
  readonly outputs: readonly TfliteTensorInfo[];
  /** Computes the outputs for `inputs` (one per model input, shapes as the model declares). */
  predict(inputs: readonly TfliteInput[]): NumericHostTensor[];
  /** Frees the constant tensors. */
  dispose(): void;
}

const KERNELS: Readonly<Record<number, Kernel>> = TFLITE_KERNELS;

/** A constant tensor's value as the backend computes with it (quantized and half weights as float32). */
function constant(t: TfliteTensor, bytes: Uint8Array, where: string): tf.Tensor {
  const shape = [...t.shape];
  const aligned = (size: number) => (bytes.byteOffset % size === 0 ? bytes : bytes.slice());
  switch (t.type) {
    case TensorType.FLOAT32: {
      const b = aligned(4);
      return tf.tensor(new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), shape, "float32");
    }
    case TensorType.FLOAT16: {
      const b = aligned(2);
      return tf.tensor(decodeFloat16(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2)), shape, "float32");
    }
    case TensorType.INT32: {
      const b = aligned(4);
      return tf.tensor(new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4), shape, "int32");
    }
    case TensorType.INT64: {
      const b = aligned(8);
      return tf.tensor(
        Int32Array.from(new BigInt64Array(b.buffer, b.byteOffset, b.byteLength / 8), Number),
        shape,
        "int32",
      );
    }
    case TensorType.INT8:
    case TensorType.UINT8: {
      const q = t.quantization;
      if (q === undefined)
        return tf.tensor(
          t.type === TensorType.INT8
            ? Int32Array.from(new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
            : Int32Array.from(bytes),
          shape,
          "int32",
        );
      const signed = t.type === TensorType.INT8 ? bytes : Uint8Array.from(bytes, (v) => (v - 128) & 0xff);
      const zero = t.type === TensorType.INT8 ? q.zeroPoint : q.zeroPoint.map((z) => z - 128);
      return tf.tensor(dequantizeInt8(signed, shape, q.scale, zero, q.quantizedDimension), shape, "float32");
    }
    case TensorType.BOOL:
      return tf.tensor(Uint8Array.from(bytes), shape, "bool");
    default:
      throw new TfliteLoweringError(
        "cannot-run",
        cannot(
          "run",
          where,
          `its constant "${t.name}" is ${tensorTypeName(t.type)}, which the interpreter does not load`,
        ),
      );
  }
}

/**
 * Prepares a TFLite model to run on the tfjs backend (call `initBackend` from
 * `@kerastore/engine` first): constants are loaded once (float16 and int8 weights as float32),
 * operators run in the file's order. Hybrid ops (int8 weights, float inputs) compute in float
 * with the dequantized weights, so they match TFLite within its quantization error.
 */
export function createTfliteRunner(model: TfliteModel, options: { path?: string | undefined } = {}): TfliteRunner {
  const where = options.path ?? "TFLite model";
  const graph = model.subgraphs[0];
  if (graph === undefined) throw new TfliteLoweringError("cannot-run", cannot("run", where, "it has no subgraph"));
  for (const [i, op] of graph.operators.entries()) {
    const code = model.operatorCodes[op.opcodeIndex]!;
    if (KERNELS[code.builtinCode] === undefined) {
      const name =
        code.customCode === undefined ? builtinOperatorName(code.builtinCode) : `custom op "${code.customCode}"`;
      throw new TfliteLoweringError(
        "cannot-run",
        cannot("run", where, `operator ${i} is ${name}, which the interpreter does not run`),
      );
    }
  }
  const constants = new Map<number, tf.Tensor>();
  for (const [i, t] of graph.tensors.entries()) {
    const data = model.buffers[t.buffer];
    if (t.buffer !== 0 && data !== undefined && data.length > 0) constants.set(i, constant(t, data, where));
  }
  const signature = model.signatureDefs.find((s) => s.subgraphIndex === 0);
  const info = (
    list: readonly number[],
    names: readonly { name: string; tensorIndex: number }[] | undefined,
  ): TfliteTensorInfo[] =>
    list.map((index) => {
      const t = graph.tensors[index]!;
      return {
        name: names?.find((m) => m.tensorIndex === index)?.name ?? t.name,
        shape: t.shape,
        type: tensorTypeName(t.type),
      };
    });
  const inputs = info(graph.inputs, signature?.inputs);
  const outputs = info(graph.outputs, signature?.outputs);
  let disposed = false;

  const predict = (given: readonly TfliteInput[]): NumericHostTensor[] => {
    if (disposed) throw new TfliteLoweringError("cannot-run", cannot("run", where, "the runner was disposed"));
    if (given.length !== graph.inputs.length) {
      throw new TfliteLoweringError(
        "invalid-argument",
        cannot("run", where, `it takes ${graph.inputs.length} input(s), ${given.length} given`),
      );
    }
    const results = tf.tidy(() => {
      const values = new Map<number, tf.Tensor>(constants);
      for (const [i, index] of graph.inputs.entries()) {
        const t = graph.tensors[index]!;
        const x = given[i]!;
        const shape = x instanceof tf.Tensor ? x.shape : [...x.shape];
        if (shape.length !== t.shape.length || shape.some((d, k) => d !== t.shape[k])) {
          throw new TfliteLoweringError(
            "invalid-argument",
            cannot(
              "run",
              where,
              `input ${i} ("${inputs[i]!.name}") has shape [${shape.join(", ")}], the model takes [${t.shape.join(", ")}]`,
            ),
          );
        }
        const dtype = t.type === TensorType.INT32 || t.type === TensorType.INT64 ? "int32" : "float32";
        if (x instanceof tf.Tensor) values.set(index, tf.cast(x, dtype));
        else if (x.dtype === "string")
          throw new TfliteLoweringError("invalid-argument", cannot("run", where, `input ${i} is a string tensor`));
        else values.set(index, tf.tensor(Array.from(x.data as ArrayLike<number | bigint>, Number), shape, dtype));
      }
      for (const [oi, op] of graph.operators.entries()) {
        const code = model.operatorCodes[op.opcodeIndex]!.builtinCode;
        const fail = (reason: string): never => {
          throw new TfliteLoweringError(
            "cannot-run",
            cannot("run", `${where} operator ${oi} (${builtinOperatorName(code)})`, reason),
          );
        };
        const ins = op.inputs.map((i) => {
          if (i < 0) return undefined;
          const v = values.get(i);
          if (v === undefined) fail(`its input tensor ${i} ("${graph.tensors[i]!.name}") is not computed before it`);
          return v;
        });
        const outs = KERNELS[code]!({
          inputs: ins,
          options: op.options,
          outputShapes: op.outputs.map((i) => graph.tensors[i]!.shape),
          outputTypes: op.outputs.map((i) => graph.tensors[i]!.type),
          fail,
        });
        for (const [k, index] of op.outputs.entries()) {
          const v = outs[k];
          if (v === undefined) return fail(`it gave ${outs.length} outputs, the file declares ${op.outputs.length}`);
          values.set(index, v);
        }
      }
      return graph.outputs.map((i) => {
        const v = values.get(i);
        if (v === undefined)
          throw new TfliteLoweringError("cannot-run", cannot("run", where, `output tensor ${i} is never computed`));
        return v;
      });
    });
    return results.map((t) => {
      const data = t.dataSync();
      const out =
        t.dtype === "int32"
          ? hostTensor("int32", [...t.shape], Int32Array.from(data as Int32Array))
          : hostTensor("float32", [...t.shape], Float32Array.from(data as Float32Array));
      t.dispose();
      return out;
    });
  };
  return {
    model,
    inputs,
    outputs,
    predict,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const t of constants.values()) t.dispose();
    },
  };
}
