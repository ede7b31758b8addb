import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { registerWasmKernels } from "./index.js";

// Identity and same-dtype Cast share their input's WASM memory (a new reference): values as the
// input's, each tensor disposable on its own, nothing left behind; a real cast still converts.

describe("Identity and same-dtype Cast on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    registerWasmKernels();
  });

  it("share the input's memory, and free it with the last reference", () => {
    const bytes = tf.memory().numBytes;
    const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
    const ids = backend.dataIdMap.numDataIds();
    const x = tf.tensor([1.5, -2, 3], [3]);
    const copies = [tf.clone(x), tf.cast(x, "float32"), tf.engine().runKernel("Identity", { x }) as tf.Tensor];
    for (const c of copies) {
      expect(c.dataId).toBe(x.dataId);
      expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3]);
    }
    x.dispose();
    for (const c of copies) expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3]);
    tf.dispose(copies);
    expect(backend.dataIdMap.numDataIds()).toBe(ids);
    expect(tf.memory().numBytes).toBe(bytes);
  });

  it("casts to bool as x != 0 (WASM's own Cast truncates to a byte: -2 -> 254, 0.5 -> 0)", () => {
    const f = tf.tensor1d([1.5, 0, -2, -0.5, 256, Number.NaN, -0]);
    expect(Array.from(tf.cast(f, "bool").dataSync())).toEqual([1, 0, 1, 1, 1, 1, 0]);
    const i = tf.tensor1d([1, 0, -2, 256], "int32");
    expect(Array.from(tf.cast(i, "bool").dataSync())).toEqual([1, 0, 1, 1]);
    expect(tf.cast(i, "bool").dtype).toBe("bool");
  });

  it("convert on a cast to another dtype", () => {
    const x = tf.tensor([1.7, -2.2, 3], [3]);
    const i = tf.cast(x, "int32");
    expect(i.dataId).not.toBe(x.dataId);
    expect(i.dtype).toBe("int32");
    expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
    tf.dispose([x, i]);
  });
});
