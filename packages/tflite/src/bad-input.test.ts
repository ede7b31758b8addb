import { readFixture } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { TfliteError, readTflite, writeTflite } from "./index.js";

const good = readFixture("tflite", "dense", "model.tflite");

function outcome(bytes: Uint8Array): "read" | string {
  try {
    readTflite(bytes, { path: "m.tflite" });
    return "read";
  } catch (error) {
    if (error instanceof TfliteError) return error.code;
    throw error;
  }
}

describe("readTflite on damaged files", () => {
  it("refuses bytes that are not a TFLite flatbuffer", () => {
    expect(() => readTflite(new Uint8Array(3), { path: "m.tflite" })).toThrow(
      /cannot read m.tflite: it is not a TFLite flatbuffer/,
    );
    expect(() => readTflite(new TextEncoder().encode("PK\u0003\u0004 not a model"))).toThrow(TfliteError);
  });

  it("gives a typed error for a root offset past the end", () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint32(0, 1 << 30, true);
    expect(() => readTflite(bytes, { path: "m.tflite" })).toThrow(/cannot read m.tflite: .* lies outside the file/);
  });

  it("gives a typed error for every truncation", () => {
    const codes = new Set<string>();
    for (let n = 8; n < good.length; n += 7) codes.add(outcome(good.subarray(0, n)));
    expect([...codes].every((c) => c === "corrupt" || c === "invalid-model")).toBe(true);
    expect(codes.has("corrupt")).toBe(true);
  });

  it("gives a typed error or a valid model for every single-byte mutation, never a crash", () => {
    const seen = new Map<string, number>();
    for (let i = 8; i < good.length; i++) {
      for (const value of [0xff, 0x7f, 0x00]) {
        const bytes = good.slice();
        bytes[i] = value;
        const code = outcome(bytes);
        seen.set(code, (seen.get(code) ?? 0) + 1);
      }
    }
    // Any other exception type would have been thrown out of `outcome` and failed the test.
    expect(seen.get("corrupt")).toBeGreaterThan(0);
    expect(seen.get("invalid-model")).toBeGreaterThan(0);
  });

  it("checks a constant tensor's bytes against its shape", () => {
    const model = readTflite(good);
    const graph = model.subgraphs[0]!;
    const kernel = graph.operators[0]!.inputs[1]!;
    const tensors = graph.tensors.map((t, i) => (i === kernel ? { ...t, shape: [4000, 5000] } : t));
    const bytes = writeTflite({ ...model, subgraphs: [{ ...graph, tensors }] });
    expect(() => readTflite(bytes, { path: "m.tflite" })).toThrow(
      /buffer holds 80 bytes, its shape \[4000, 5000\] of FLOAT32 needs 80000000/,
    );
  });

  it("writes the deprecated builtin code byte as min(code, 127)", () => {
    const model = readTflite(good);
    const bytes = writeTflite({
      ...model,
      operatorCodes: [{ builtinCode: 150, version: 1 }, ...model.operatorCodes.slice(1)],
    });
    // The extended code 150 reads back; a reader of only the deprecated byte sees 127.
    expect(readTflite(bytes).operatorCodes[0]!.builtinCode).toBe(150);
    expect(() => writeTflite({ ...model, buffers: [new Uint8Array(1), ...model.buffers.slice(1)] })).toThrow(
      /buffers\[0\] must be the empty sentinel/,
    );
  });
});
