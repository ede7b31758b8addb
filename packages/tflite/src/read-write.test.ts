import { readFixture } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { BuiltinOperator, TensorType, readTflite, writeTflite } from "./index.js";

describe("readTflite", () => {
  it("reads the file Python's converter wrote for a two-Dense model", () => {
    const model = readTflite(readFixture("tflite", "dense", "model.tflite"));
    expect(model.version).toBe(3);
    const [graph] = model.subgraphs;
    const codes = graph!.operators.map((op) => model.operatorCodes[op.opcodeIndex]!.builtinCode);
    expect(codes).toEqual([BuiltinOperator.FULLY_CONNECTED, BuiltinOperator.FULLY_CONNECTED]);
    const first = graph!.operators[0]!;
    expect(first.options).toMatchObject({ kind: "FullyConnectedOptions", fusedActivationFunction: 1 });
    const input = graph!.tensors[graph!.inputs[0]!]!;
    expect(input).toMatchObject({ shape: [2, 5], type: TensorType.FLOAT32, buffer: expect.any(Number) });
    // The hidden kernel: FULLY_CONNECTED weights [units, in] = [4, 5] float32.
    const kernel = graph!.tensors[first.inputs[1]!]!;
    expect(kernel.shape).toEqual([4, 5]);
    expect(model.buffers[kernel.buffer]!.length).toBe(80);
    expect(model.metadata.map((m) => m.name)).toContain("min_runtime_version");
    expect(model.signatureDefs[0]?.signatureKey).toBe("serving_default");
  });

  it("writes what it reads, and reads that back equal", () => {
    const model = readTflite(readFixture("tflite", "dense", "model.tflite"));
    const bytes = writeTflite(model);
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe("TFL3");
    const again = readTflite(bytes);
    expect(again).toEqual(model);
    // Buffers are 16-byte aligned in the file.
    for (const b of again.buffers) if (b.length > 0) expect(b.byteOffset % 16).toBe(0);
  });

  it("writes deprecated_builtin_code = min(code, 127) beside the extended code", () => {
    const model = readTflite(readFixture("tflite", "dense", "model.tflite"));
    const withGelu = {
      ...model,
      operatorCodes: [...model.operatorCodes, { builtinCode: BuiltinOperator.GELU, version: 1 }],
    };
    const bytes = writeTflite(withGelu);
    expect(readTflite(bytes).operatorCodes.at(-1)).toEqual({ builtinCode: 150, version: 1 });
  });
});
