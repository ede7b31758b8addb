import * as tf from "@tensorflow/tfjs-core";
import { composite, type KernelBackend, type TensorInfo } from "./composite.js";

// Slice on the WASM backend, copying only what it returns. tfjs-backend-wasm 4.22's Slice first
// copies its WHOLE input out of the WASM memory (`readSync`), then the slice from that copy: a
// batch sliced from a training set costs a copy of the whole set. `fit` and `predict` slice
// every batch, so each step paid for the whole data set (1024 MNIST images: 3.2 MB a batch;
// 60,000: 188 MB). Here the slice is copied from the input where it lives: runs of the last
// axis, one `set` each (a contiguous slice, such as a batch, is one run). Strings take WASM's
// own kernel.

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Args = {
  inputs: { x: TensorInfo };
  attrs: { begin: number | number[]; size: number | number[] };
  backend: KernelBackend;
};

export function slice({ inputs, attrs, backend }: Args): TensorInfo {
  const { x } = inputs;
  if (x.dtype === "string" || x.shape.length === 0)
    return composite(backend, inputs, (k) => k.run("Slice", inputs, attrs, true));
  const [begin, size] = tf.slice_util.parseSliceParams(x as never, attrs.begin, attrs.size) as [number[], number[]];
  const heap = backend as HeapBackend;
  const out = heap.makeOutput(size, x.dtype);
  const total = size.reduce((a, d) => a * d, 1);
  if (total === 0) return out;
  const dst = heap.typedArrayFromHeap(out);
  const src = heap.typedArrayFromHeap(x);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const from = tf.slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(from, from + total));
    return out;
  }
  // Runs along the last axis: for each index of the leading axes, one copy.
  const rank = x.shape.length;
  const run = size[rank - 1]!;
  const at = new Array<number>(rank - 1).fill(0);
  for (let o = 0; o < total; o += run) {
    let from = begin[rank - 1]!;
    for (let d = 0; d < rank - 1; d++) from += (begin[d]! + at[d]!) * strides[d]!;
    dst.set(src.subarray(from, from + run), o);
    for (let d = rank - 2; d >= 0; d--) {
      if (++at[d]! < size[d]!) break;
      at[d] = 0;
    }
  }
  return out;
}
