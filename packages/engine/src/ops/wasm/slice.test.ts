import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { type KernelBackend, WasmKernelScope } from "./composite.js";
import { registerWasmKernels } from "./index.js";

// Our Slice (copies only the rows it takes) against WASM's own kernel on the same tensors: every
// rank up to 5, contiguous and strided slices, each dtype, empty slices and -1 sizes.

type DType = "float32" | "int32" | "bool";

function native(x: tf.Tensor, begin: number[], size: number[]): { values: number[]; shape: number[] } {
  const backend = tf.backend() as unknown as KernelBackend;
  const k = new WasmKernelScope(backend);
  try {
    const out = k.run("Slice", { x: x as never }, { begin, size }, true);
    const t = tf.engine().makeTensorFromTensorInfo(k.keep(out)) as tf.Tensor;
    const r = { values: Array.from(t.dataSync()), shape: t.shape };
    t.dispose();
    return r;
  } finally {
    k.dispose();
  }
}

describe("Slice on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    registerWasmKernels();
  });

  const cases: [number[], number[], number[]][] = [
    [[10], [3], [4]],
    [[10], [0], [-1]],
    [[2048, 7], [256], [256]],
    [
      [9, 7],
      [2, 0],
      [5, 7],
    ],
    [
      [9, 7],
      [2, 1],
      [5, 4],
    ],
    [
      [9, 7],
      [0, 6],
      [-1, 1],
    ],
    [
      [4, 5, 6],
      [1, 2, 3],
      [2, 3, 3],
    ],
    [
      [4, 5, 6],
      [1, 0, 0],
      [2, 5, 6],
    ],
    [
      [4, 5, 6],
      [0, 2, 0],
      [4, 2, 6],
    ],
    [
      [3, 4, 5, 6],
      [1, 1, 0, 2],
      [2, 3, 5, 4],
    ],
    [
      [2, 3, 4, 5, 6],
      [1, 0, 1, 2, 0],
      [1, 3, 2, 3, 6],
    ],
    [
      [5, 4],
      [2, 0],
      [0, 4],
    ],
  ];
  for (const dtype of ["float32", "int32", "bool"] as DType[]) {
    for (const [shape, begin, size] of cases) {
      it(`${dtype} ${JSON.stringify(shape)} from ${JSON.stringify(begin)} size ${JSON.stringify(size)}`, () => {
        const n = shape.reduce((a, d) => a * d, 1);
        const vals = Array.from({ length: n }, (_, i) => (dtype === "bool" ? (i * 7) % 3 === 0 : i * 1.5 - 7) as never);
        const x = tf.tensor(vals, shape, dtype);
        const ours = tf.slice(x, begin, size);
        const theirs = native(x, begin, size);
        expect(ours.dtype).toBe(dtype);
        expect(ours.shape).toEqual(theirs.shape);
        expect(Array.from(ours.dataSync())).toEqual(theirs.values);
        // Not WASM's kernel: a distinct copy, the input untouched.
        expect(ours.dataId).not.toBe(x.dataId);
        tf.dispose([x, ours]);
      });
    }
  }

  it("a scalar and a string tensor slice as WASM's kernel does", () => {
    const s = tf.tensor(["a", "b", "c", "d"], [4], "string");
    expect(tf.slice(s, [1], [2]).arraySync()).toEqual(["b", "c"]);
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(tf.slice(x, [1, 1], [1, 1]).arraySync()).toEqual([[4]]);
    tf.dispose([s, x]);
  });

  it("leaves nothing behind", () => {
    const x = tf.tensor3d(
      Array.from({ length: 60 }, (_, i) => i),
      [3, 4, 5],
    );
    const before = tf.memory().numBytes;
    tf.slice(x, [1, 1, 1], [2, 2, 2]).dispose();
    tf.slice(x, [1], [1]).dispose();
    expect(tf.memory().numBytes).toBe(before);
    x.dispose();
  });
});
