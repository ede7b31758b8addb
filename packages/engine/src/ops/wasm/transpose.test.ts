import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { type KernelBackend, WasmKernelScope } from "./composite.js";
import { registerWasmKernels } from "./index.js";
import { asBatchedSwap, simdTranspose } from "./transpose.js";

// Our Transpose (4 x 4 SIMD blocks and JavaScript edges) against WASM's own kernel on the same
// tensors: sizes that are and are not multiples of 4, batched swaps, merged and size-1 axes,
// int32, NaN payloads, and permutations it leaves to WASM's kernel.

function native(x: tf.Tensor, perm: number[]): { bits: number[]; shape: number[] } {
  const k = new WasmKernelScope(tf.backend() as unknown as KernelBackend);
  try {
    const t = tf.engine().makeTensorFromTensorInfo(k.keep(k.run("Transpose", { x: x as never }, { perm }, true)));
    const r = { bits: bits(t), shape: t.shape };
    t.dispose();
    return r;
  } finally {
    k.dispose();
  }
}

function bits(t: tf.Tensor): number[] {
  const v = t.dataSync() as Float32Array | Int32Array;
  return Array.from(new Int32Array(v.buffer, v.byteOffset, v.length));
}

describe("Transpose on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    registerWasmKernels();
  });

  it("runs its SIMD loop here", () => {
    expect(simdTranspose(tf.backend())).not.toBeNull();
  });

  it("reads permutations as batched swaps", () => {
    expect(asBatchedSwap([256, 512], [1, 0])).toEqual([1, 256, 512]);
    expect(asBatchedSwap([3, 5, 7], [0, 2, 1])).toEqual([3, 5, 7]);
    expect(asBatchedSwap([3, 5, 7], [1, 2, 0])).toEqual([1, 3, 35]);
    expect(asBatchedSwap([3, 5, 7], [2, 0, 1])).toEqual([1, 15, 7]);
    expect(asBatchedSwap([2, 3, 5, 7], [0, 3, 1, 2])).toEqual([2, 15, 7]);
    expect(asBatchedSwap([1, 5, 1, 7], [2, 3, 0, 1])).toEqual([1, 5, 7]);
    expect(asBatchedSwap([3, 5, 7], [0, 1, 2])).toEqual([1, 1, 105]);
    expect(asBatchedSwap([3, 5, 7], [2, 1, 0])).toBeNull();
    expect(asBatchedSwap([2, 3, 5, 7], [1, 0, 3, 2])).toBeNull();
  });

  const cases: [number[], number[]][] = [
    [
      [256, 512],
      [1, 0],
    ],
    [
      [37, 45],
      [1, 0],
    ],
    [
      [45, 37],
      [1, 0],
    ],
    [
      [33, 35],
      [1, 0],
    ],
    [
      [4, 300],
      [1, 0],
    ],
    [
      [300, 5],
      [1, 0],
    ],
    [
      [6, 23, 29],
      [0, 2, 1],
    ],
    [
      [6, 23, 29],
      [1, 2, 0],
    ],
    [
      [6, 23, 29],
      [2, 0, 1],
    ],
    [
      [4, 6, 9, 11],
      [0, 3, 1, 2],
    ],
    [
      [4, 6, 9, 11],
      [0, 2, 3, 1],
    ],
    [
      [1, 40, 1, 30],
      [3, 2, 0, 1],
    ],
    [
      [10, 20, 30],
      [2, 1, 0],
    ],
    [
      [8, 9, 10, 11],
      [1, 0, 3, 2],
    ],
    [[2000], [0]],
  ];
  for (const dtype of ["float32", "int32"] as const) {
    for (const [shape, perm] of cases) {
      it(`${dtype} ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`, () => {
        const n = shape.reduce((a, d) => a * d, 1);
        const x = tf.tensor(
          Array.from({ length: n }, (_, i) => (dtype === "int32" ? i * 7919 - 40000 : Math.sin(i) * 100)),
          shape,
          dtype,
        );
        const ours = tf.transpose(x, perm);
        const theirs = native(x, perm);
        expect(ours.shape).toEqual(theirs.shape);
        expect(bits(ours)).toEqual(theirs.bits);
        tf.dispose([x, ours]);
      });
    }
  }

  it("keeps NaN payloads and every bit pattern", () => {
    const raw = new Int32Array(64 * 48);
    for (let i = 0; i < raw.length; i++) raw[i] = (0x7f800001 + i * 2654435761) | 0;
    const x = tf.tensor(new Float32Array(raw.buffer), [64, 48], "float32");
    const ours = tf.transpose(x);
    expect(bits(ours)).toEqual(native(x, [1, 0]).bits);
    tf.dispose([x, ours]);
  });

  it("leaves nothing behind", () => {
    const x = tf.randomUniform([64, 48]);
    const before = tf.memory().numBytes;
    tf.transpose(x).dispose();
    const r = tf.reshape(x, [8, 8, 48]);
    tf.transpose(r, [2, 1, 0]).dispose();
    r.dispose();
    expect(tf.memory().numBytes).toBe(before);
    x.dispose();
  });
});
