import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { EngineError } from "../../errors.js";
import { heapF32, type TensorInfo } from "./composite.js";
import { heapView, releaseHeapView } from "./heap-view.js";

const ids = () => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();

describe("heap views (a window of a tensor's WASM memory as a tensor)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("reads the owner's values in place, feeds a native kernel, and is released without freeing them", () => {
    const owner = tf.range(0, 24, 1, "float32");
    const info = owner as unknown as TensorInfo;
    const before = ids();
    const view = heapView(tf.backend(), info, 5, [1, 3, 4]);
    expect(Array.from(heapF32(tf.backend(), view))).toEqual(Array.from({ length: 12 }, (_, i) => i + 5));
    // A native kernel (XNNPACK's product) reads the view as its input.
    const ones = tf.ones([1, 4, 1]);
    const product = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc({
      inputs: { a: view, b: ones } as never,
      attrs: { transposeA: false, transposeB: false } as never,
      backend: tf.backend(),
    }) as TensorInfo;
    expect(Array.from(heapF32(tf.backend(), product))).toEqual([5 + 6 + 7 + 8, 9 + 10 + 11 + 12, 13 + 14 + 15 + 16]);
    tf.backend().disposeData(product.dataId);
    ones.dispose();
    releaseHeapView(tf.backend(), view);
    expect(ids()).toBe(before);
    // The owner's memory is still its own: a new allocation does not take it.
    const other = tf.fill([24], 7);
    expect(Array.from(owner.dataSync())).toEqual(Array.from({ length: 24 }, (_, i) => i));
    tf.dispose([owner, other]);
  });

  it("refuses a window outside its owner", () => {
    const owner = tf.zeros([10]);
    const info = owner as unknown as TensorInfo;
    expect(() => heapView(tf.backend(), info, 8, [3])).toThrow(EngineError);
    expect(() => heapView(tf.backend(), info, -1, [2])).toThrow(/cannot view WASM memory/);
    owner.dispose();
  });
});
