import * as tf from "@tensorflow/tfjs-core";
import { type KernelBackend, type TensorInfo, WasmKernelScope } from "./composite.js";

// Slice, copying only the rows it takes. WASM's own kernel first reads its whole input out of
// the WASM memory into a new JavaScript array (`readSync`), then copies the slice from there: a
// batch of 256 rows out of a [2048, 784] dataset copied all 6.4 MB, ~3.6 ms, once per batch of
// every fit and predict. Here the slice is copied from the input where it lives, one contiguous
// run at a time (the same values: a slice is a copy). Strings run WASM's kernel.

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
  if (x.dtype === "string") return new WasmKernelScope(backend).run("Slice", inputs, attrs, true);
  const [begin, size] = tf.slice_util.parseSliceParams(x as never, attrs.begin, attrs.size) as [number[], number[]];
  const heap = backend as HeapBackend;
  const out = heap.makeOutput(size, x.dtype);
  const total = size.reduce((a, d) => a * d, 1);
  if (total === 0) return out;
  // Views after the last allocation (a growing memory detaches older ones).
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  const rank = x.shape.length;
  if (rank === 0) {
    dst[0] = src[0]!;
    return out;
  }
  // Axes after `k` are taken whole: each run is size[k] x (their product) elements in a row.
  let k = rank - 1;
  let inner = 1;
  while (k > 0 && size[k] === x.shape[k] && begin[k] === 0) {
    inner *= x.shape[k]!;
    k--;
  }
  const run = size[k]! * inner;
  const strides = tf.util.computeStrides(x.shape);
  // Outer index over axes [0, k), odometer style.
  const idx = new Array<number>(k).fill(0);
  const runs = total / run;
  for (let r = 0, o = 0; r < runs; r++, o += run) {
    let from = begin[k]! * inner;
    for (let a = 0; a < k; a++) from += (begin[a]! + idx[a]!) * strides[a]!;
    dst.set(src.subarray(from, from + run), o);
    for (let a = k - 1; a >= 0; a--) {
      if (++idx[a]! < size[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}
