import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { composite, type TensorInfo } from "./composite.js";
import { registerWasmKernels } from "./index.js";

// The Slice kernel of ./slice.ts against WASM's own (which copies the whole input first): the
// same values, shapes and dtypes for contiguous slices (a batch of rows), runs along the last
// axis, every rank from 1 to 5, sizes of -1 (to the end), empty slices, int32 and bool; and no
// read of the whole input.

const CASES: Array<[shape: number[], begin: number[], size: number[]]> = [
  [[10], [3], [4]],
  [
    [64, 7],
    [8, 0],
    [8, 7],
  ],
  [
    [6, 5, 4],
    [1, 1, 1],
    [3, 2, 2],
  ],
  [
    [6, 5, 4],
    [2, 0, 0],
    [-1, -1, -1],
  ],
  [
    [4, 3, 5, 2],
    [1, 0, 2, 0],
    [2, 3, 3, 2],
  ],
  [
    [4, 3, 5, 2],
    [0, 1, 0, 1],
    [4, 2, 5, 1],
  ],
  [
    [3, 2, 4, 3, 2],
    [1, 1, 1, 0, 1],
    [2, 1, 2, 3, 1],
  ],
  [
    [5, 4],
    [2, 1],
    [0, 3],
  ],
];

describe("Slice without copying the whole input", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    registerWasmKernels();
  });

  for (const [shape, begin, size] of CASES) {
    for (const dtype of ["float32", "int32", "bool"] as const) {
      it(`equals WASM's own kernel: [${shape}] from [${begin}] size [${size}], ${dtype}`, () => {
        tf.tidy(() => {
          const n = shape.reduce((a, d) => a * d, 1);
          const x = tf.tensor(
            Array.from({ length: n }, (_, i) => (dtype === "bool" ? i % 3 : i * 1.5 - 7)),
            shape,
            dtype,
          );
          const got = tf.slice(x, begin, size);
          const inputs = { x: x as unknown as TensorInfo };
          const want = tf
            .engine()
            .makeTensorFromTensorInfo(
              composite(tf.backend() as never, inputs, (k) => k.run("Slice", inputs, { begin, size }, true)) as never,
            );
          expect(got.shape).toEqual(want.shape);
          expect(got.dtype).toBe(dtype);
          expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        });
      });
    }
  }

  it("never reads the whole input out of the WASM memory (WASM's own kernel does)", () => {
    tf.tidy(() => {
      const backend = tf.backend() as unknown as { readSync: (...args: unknown[]) => unknown };
      const read = backend.readSync;
      let reads = 0;
      backend.readSync = function (this: unknown, ...args: unknown[]) {
        reads++;
        return read.apply(this, args);
      };
      try {
        const x = tf.zeros([256, 784]);
        tf.slice(x, [32, 0], [32, 784]);
        tf.slice(x, [1, 3], [4, 5]);
        expect(reads).toBe(0);
        const inputs = { x: x as unknown as TensorInfo };
        composite(tf.backend() as never, inputs, (k) => k.run("Slice", inputs, { begin: [0, 0], size: [2, 2] }, true));
        expect(reads).toBe(1);
      } finally {
        backend.readSync = read;
      }
    });
  });
});
