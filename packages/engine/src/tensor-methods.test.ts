import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "./backend.js";

// Tensor methods (./tensor-methods.ts), which initBackend installs: each gives what its
// functional op gives, the written-out ones included, and a disposed tensor refuses them.

type Methods = Record<string, (...args: unknown[]) => tf.Tensor>;
const m = (t: tf.Tensor) => t as unknown as Methods;

describe("tensor methods", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
  });

  it("are the ops of the same name with the tensor first", () => {
    const x = tf.tensor2d([
      [1, -2, 3],
      [4, 5, -6],
    ]);
    const y = tf.tensor2d([
      [0.5, 1, 2],
      [3, 4, 5],
    ]);
    expect(m(x).slice!([0, 1], [2, 2])!.arraySync()).toEqual(tf.slice(x, [0, 1], [2, 2]).arraySync());
    expect(m(x).reshape!([3, 2])!.shape).toEqual([3, 2]);
    expect(m(x).add!(y)!.arraySync()).toEqual(tf.add(x, y).arraySync());
    expect(m(x).matMul!(y, false, true)!.arraySync()).toEqual(tf.matMul(x, y, false, true).arraySync());
    expect(m(x).sum!(1)!.arraySync()).toEqual([2, 3]);
    expect(m(m(x).abs!()!).max!()!.arraySync()).toBe(6);
  });

  it("write out the ones whose arguments differ", () => {
    const x = tf.tensor1d([1.5, 0, -2]);
    const y = tf.tensor1d([7, 8, 9]);
    expect(m(x).as2D!(3, 1)!.shape).toEqual([3, 1]);
    expect(m(x).asType!("int32")!.dtype).toBe("int32");
    expect(m(x).toInt!()!.arraySync()).toEqual([1, 0, -2]);
    expect(m(x).toBool!()!.arraySync()).toEqual([1, 0, 1]); // -2 too: x != 0
    expect(m(tf.zeros([2, 2])).flatten!()!.shape).toEqual([4]);
    expect(m(x).concat!(y)!.arraySync()).toEqual([1.5, 0, -2, 7, 8, 9]);
    expect(m(x).concat!([y, x], 0)!.shape).toEqual([9]);
    expect(m(x).stack!(y, 1)!.shape).toEqual([3, 2]);
    expect(m(x).where!(tf.tensor1d([1, 0, 1], "bool"), y)!.arraySync()).toEqual([1.5, 8, -2]);
    expect(m(tf.tensor2d([[3]])).asScalar!()!.shape).toEqual([]);
  });

  it("refuse a disposed tensor", () => {
    const x = tf.tensor1d([1, 2]);
    x.dispose();
    expect(() => m(x).slice!(0, 1)).toThrow(/disposed/);
  });
});
