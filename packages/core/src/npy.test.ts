import { describe, expect, it } from "vitest";
import { CoreError, hostTensor, readNpy, writeNpy } from "./index.js";

describe(".npy", () => {
  it("writes a header NumPy reads and reads it back", () => {
    const t = hostTensor("float32", [2, 3], new Float32Array([1, 2, 3, 4, 5, 6]));
    const bytes = writeNpy(t);
    const header = new TextDecoder("latin1").decode(bytes.subarray(10, 10 + (bytes[8]! | (bytes[9]! << 8))));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \} *\n$/);
    expect((10 + header.length) % 64).toBe(0);
    const back = readNpy(bytes);
    expect(back.dtype).toBe("float32");
    expect(back.shape).toEqual([2, 3]);
    expect(Array.from(back.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("round-trips int64, bool, scalars and 1-D shapes", () => {
    const a = readNpy(writeNpy(hostTensor("int64", [3], new BigInt64Array([1n, -2n, 2n ** 40n]))));
    expect(Array.from(a.data as BigInt64Array)).toEqual([1n, -2n, 2n ** 40n]);
    const b = readNpy(writeNpy(hostTensor("bool", [], new Uint8Array([1]))));
    expect(b.shape).toEqual([]);
    expect(b.dtype).toBe("bool");
  });

  it("reads big-endian data", () => {
    const header = "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }";
    const padded = header + " ".repeat(128 - 10 - header.length - 1) + "\n";
    const bytes = new Uint8Array(10 + padded.length + 8);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
    for (let i = 0; i < padded.length; i++) bytes[10 + i] = padded.charCodeAt(i);
    bytes.set([0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe], 10 + padded.length);
    expect(Array.from(readNpy(bytes).data as Int32Array)).toEqual([258, -2]);
  });

  it("refuses bad input with a typed error", () => {
    const good = writeNpy(hostTensor("float32", [4], new Float32Array(4)));
    expect(() => readNpy(good.subarray(0, good.length - 1), "x.npy")).toThrow(
      /cannot read x.npy: the header promises 16/,
    );
    expect(() => readNpy(new Uint8Array(20), "y.npy")).toThrow(CoreError);
    const pickled = new TextEncoder().encode("\x93NUMPY");
    expect(() => readNpy(pickled)).toThrow(CoreError);
  });
});
