import { simdColumns } from "./column-simd.js";
import { type KernelBackend, type TensorInfo, composite, heapF32 } from "./composite.js";

// Sum and Mean over every axis but the last (bias gradients, batch normalization's statistics
// and their gradients: [batch, height, width, channels] to [channels]). WASM's kernels move the
// reduced axes last with a transpose first; here one pass over the rows adds them up (four
// columns a WebAssembly SIMD vector, ./column-simd.ts; the rest in JavaScript), 2-5x faster (the
// SIMD loop ~10x more), in float32 and in the same order as WASM's kernel (the same results, bit
// for bit: Keras trajectories are compared to 1e-4, and a more exact double-precision sum moved
// an Adam slot by 1.9e-4). Any other reduction runs WASM's own kernel.

type Args = {
  inputs: { x: TensorInfo };
  attrs: { axis: number | number[]; keepDims: boolean };
  backend: KernelBackend;
};

/** Whether `axis` names exactly the axes before the last of a tensor of rank `rank` (>= 2). */
function leadingAxes(axis: number | number[], rank: number): boolean {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  return rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
}

/**
 * acc = the sums of the columns of `src` ([rows, c], row-major), each added up in float32 row
 * after row: the first multiple of 4 columns by the SIMD loop where it runs, the rest here.
 */
export function columnSums(backend: object, src: Float32Array, acc: Float32Array, rows: number, c: number): void {
  acc.fill(0, 0, c);
  const simd = simdColumns(backend);
  const c4 = simd === null ? 0 : c - (c % 4);
  if (c4 > 0) simd!.colsum(src.byteOffset, acc.byteOffset, rows, 4 * c, 4 * c4);
  if (c4 === c) return;
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = c4; j < c; j++) acc[j] = acc[j]! + src[o + j]!;
}

function columnReduce(name: "Sum" | "Mean", { inputs, attrs, backend }: Args): TensorInfo {
  const { x } = inputs;
  return composite(backend, inputs, (k) => {
    if (x.dtype !== "float32" || !leadingAxes(attrs.axis, x.shape.length)) return k.run(name, inputs, attrs, true);
    const c = x.shape[x.shape.length - 1]!;
    const rows = x.shape.slice(0, -1).reduce((a, d) => a * d, 1);
    const out = k.output(attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), c] : [c]);
    const dst = heapF32(backend, out);
    const src = heapF32(backend, x);
    columnSums(backend, src, dst, rows, c);
    if (name === "Mean") for (let j = 0; j < c; j++) dst[j] = dst[j]! / rows;
    return out;
  });
}

/** Sum over every axis but the last in JavaScript; other sums on WASM's kernel. */
export function sum(args: Args): TensorInfo {
  return columnReduce("Sum", args);
}

/** Mean over every axis but the last in JavaScript; other means on WASM's kernel. */
export function mean(args: Args): TensorInfo {
  return columnReduce("Mean", args);
}
