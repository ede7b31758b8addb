import {
  type BuiltinOptionsData,
  TFLITE_SCHEMA_VERSION,
  TensorType,
  type TfliteModel,
  type TfliteOperator,
  type TfliteQuantization,
  type TfliteTensor,
} from "@kerastore/tflite";
import { BuiltinOperator } from "@kerastore/tflite";
import { encodeFloat16 } from "@kerastore/core";
import { quantizeInt8 } from "./quantize.js";

/** How weights are stored: as float32, as float16 (dequantized at run time), or int8 for dynamic-range ops. */
export type WeightStorage = "float32" | "float16" | "dynamic-range";

/** A weight's use, which decides whether dynamic-range quantization applies and along which axis. */
export interface WeightUse {
  /** The op takes int8 weights with float inputs (hybrid FULLY_CONNECTED, CONV_2D). */
  readonly hybrid?: boolean | undefined;
  /** Per-channel scales along this axis; per tensor when absent. */
  readonly channelAxis?: number | undefined;
}

/** Tensors smaller than this stay float32 under dynamic-range quantization, as Python's converter leaves them. */
const MIN_QUANTIZED_ELEMENTS = 1024;

/** Builds one TFLite subgraph: tensors, constant buffers, operator codes and operators in execution order. */
export class GraphBuilder {
  private readonly tensors: TfliteTensor[] = [];
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly codes: { builtinCode: number; version: number }[] = [];
  private readonly operators: TfliteOperator[] = [];
  private readonly inputs: number[] = [];
  private readonly names = new Set<string>();

  constructor(readonly storage: WeightStorage) {}

  private unique(name: string): string {
    let n = name;
    for (let i = 1; this.names.has(n); i++) n = `${name}_${i}`;
    this.names.add(n);
    return n;
  }

  private tensor(t: TfliteTensor): number {
    this.tensors.push({ ...t, name: this.unique(t.name) });
    return this.tensors.length - 1;
  }

  /** The static shape of tensor `index`. */
  shapeOf(index: number): readonly number[] {
    return this.tensors[index]!.shape;
  }

  typeOf(index: number): number {
    return this.tensors[index]!.type;
  }

  /** A graph input. */
  input(name: string, shape: readonly number[], type: number = TensorType.FLOAT32): number {
    const index = this.tensor({ name, shape, type, buffer: 0 });
    this.inputs.push(index);
    return index;
  }

  /** A constant tensor from raw little-endian bytes. */
  constant(
    name: string,
    shape: readonly number[],
    type: number,
    bytes: Uint8Array,
    quantization?: TfliteQuantization,
  ): number {
    this.buffers.push(bytes);
    return this.tensor({
      name,
      shape,
      type,
      buffer: this.buffers.length - 1,
      ...(quantization === undefined ? {} : { quantization }),
    });
  }

  /** A float32 constant that is not a weight (scales, offsets): never quantized. */
  floats(name: string, shape: readonly number[], values: Float32Array): number {
    return this.constant(
      name,
      shape,
      TensorType.FLOAT32,
      new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(),
    );
  }

  /** An int32 constant (shapes, axes, paddings). */
  ints(name: string, shape: readonly number[], values: readonly number[]): number {
    const data = Int32Array.from(values);
    return this.constant(name, shape, TensorType.INT32, new Uint8Array(data.buffer));
  }

  /**
   * A weight, stored as the builder's storage asks: float16 weights get a DEQUANTIZE op to
   * float32 (what the op reads); dynamic-range int8 applies only to `use.hybrid` weights of at
   * least 1024 elements, which the op reads as int8 itself.
   */
  weight(name: string, shape: readonly number[], values: Float32Array, use: WeightUse = {}): number {
    if (this.storage === "float16") {
      const half = this.constant(
        `${name}_fp16`,
        shape,
        TensorType.FLOAT16,
        new Uint8Array(encodeFloat16(values).buffer),
      );
      return this.op(BuiltinOperator.DEQUANTIZE, [half], shape, name);
    }
    if (this.storage === "dynamic-range" && use.hybrid === true && values.length >= MIN_QUANTIZED_ELEMENTS) {
      const { bytes, scale } = quantizeInt8(values, shape, use.channelAxis);
      const quantization: TfliteQuantization = {
        scale,
        zeroPoint: scale.map(() => 0),
        quantizedDimension: use.channelAxis ?? 0,
      };
      return this.constant(name, shape, TensorType.INT8, bytes, quantization);
    }
    return this.floats(name, shape, values);
  }

  /** True when tensor `index` holds int8 weights (the op must run as a hybrid). */
  isQuantized(index: number): boolean {
    return this.tensors[index]!.type === TensorType.INT8;
  }

  /** Appends an operator computing one float32 output of `shape`; returns the output tensor. */
  op(
    code: number,
    inputs: readonly number[],
    shape: readonly number[],
    name: string,
    options?: BuiltinOptionsData,
    version = 1,
  ): number {
    const out = this.tensor({ name, shape, type: TensorType.FLOAT32, buffer: 0 });
    this.opWithOutputs(code, inputs, [out], options, version);
    return out;
  }

  /** Appends an operator with several outputs (SPLIT, UNPACK) of the given shapes. */
  multi(
    code: number,
    inputs: readonly number[],
    shapes: readonly (readonly number[])[],
    name: string,
    options?: BuiltinOptionsData,
  ): number[] {
    const outs = shapes.map((shape, i) =>
      this.tensor({ name: `${name}:${i}`, shape, type: TensorType.FLOAT32, buffer: 0 }),
    );
    this.opWithOutputs(code, inputs, outs, options, 1);
    return outs;
  }

  /** An operator whose output tensor has another type (CAST to int32). */
  typedOp(
    code: number,
    inputs: readonly number[],
    shape: readonly number[],
    type: number,
    name: string,
    options?: BuiltinOptionsData,
  ): number {
    const out = this.tensor({ name, shape, type, buffer: 0 });
    this.opWithOutputs(code, inputs, [out], options, 1);
    return out;
  }

  private opWithOutputs(
    code: number,
    inputs: readonly number[],
    outputs: readonly number[],
    options: BuiltinOptionsData | undefined,
    version: number,
  ): void {
    let opcodeIndex = this.codes.findIndex((c) => c.builtinCode === code && c.version === version);
    if (opcodeIndex < 0) {
      this.codes.push({ builtinCode: code, version });
      opcodeIndex = this.codes.length - 1;
    }
    this.operators.push({
      opcodeIndex,
      inputs: [...inputs],
      outputs: [...outputs],
      ...(options === undefined ? {} : { options }),
    });
  }

  /** The finished model: one subgraph, the `serving_default` signature, `min_runtime_version` metadata. */
  finish(
    outputs: readonly number[],
    names: { inputs: readonly string[]; outputs: readonly string[] },
    description: string,
  ): TfliteModel {
    const runtime = new Uint8Array(16);
    const version = this.storage === "dynamic-range" ? "2.3.0" : "1.14.0";
    for (let i = 0; i < version.length; i++) runtime[i] = version.charCodeAt(i);
    const buffers = [...this.buffers, runtime];
    return {
      version: TFLITE_SCHEMA_VERSION,
      description,
      operatorCodes: this.codes,
      subgraphs: [
        { name: "main", tensors: this.tensors, inputs: this.inputs, outputs: [...outputs], operators: this.operators },
      ],
      buffers,
      metadata: [{ name: "min_runtime_version", buffer: buffers.length - 1 }],
      signatureDefs: [
        {
          signatureKey: "serving_default",
          subgraphIndex: 0,
          inputs: this.inputs.map((tensorIndex, i) => ({ name: names.inputs[i]!, tensorIndex })),
          outputs: outputs.map((tensorIndex, i) => ({ name: names.outputs[i]!, tensorIndex })),
        },
      ],
    };
  }
}
