import * as tf from "@tensorflow/tfjs-core";
import { type KernelBackend, type TensorInfo, type WasmKernelScope, composite } from "./composite.js";

type Args = { inputs: { x: TensorInfo }; attrs: { axis: number | number[]; keepDims: boolean }; backend: KernelBackend };

/**
 * Sum over leading or trailing axes as one product with a column of ones (XNNPACK's GEMM):
 * WASM's own reduction over leading axes (a convolution's or BatchNormalization's sum over
 * batch and positions) transposes first and runs 3-8x slower ([32768, 32] over rows: 30 ms
 * against 9 ms; over columns 17 ms against 2 ms). The ones are the product's second operand,
 * kept per length, so XNNPACK packs them once (packing the data instead costs more than the
 * sum). Other reductions, and other dtypes, run WASM's kernel.
 */
export function sum(args: Args): TensorInfo {
  return reduce("Sum", args, false);
}

/** Mean like {@link sum}: the sum divided by the count. */
export function mean(args: Args): TensorInfo {
  return reduce("Mean", args, true);
}

// Columns of ones by length, kept for the process (a few KB each): XNNPACK caches its packed
// copy by tensor.
const onesColumns = new Map<number, TensorInfo>();

function onesColumn(k: WasmKernelScope, n: number): TensorInfo {
  let ones = onesColumns.get(n);
  if (ones === undefined) {
    ones = k.keep(k.run("Fill", {}, { shape: [1, n, 1], value: 1, dtype: "float32" }));
    onesColumns.set(n, ones);
  }
  return ones;
}

function reduce(name: "Sum" | "Mean", { inputs, attrs, backend }: Args, divide: boolean): TensorInfo {
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const size = x.shape.reduce((a, d) => a * d, 1);
  const leading = axes.every((a, i) => a === i);
  const trailing = axes.every((a, i) => a === rank - axes.length + i);
  if (x.dtype !== "float32" || axes.length === 0 || size === 0 || !(leading || trailing)) {
    return composite(backend, inputs, (k) => k.run(name, inputs, attrs as never, true));
  }
  const reduced = axes.reduce((a, i) => a * x.shape[i]!, 1);
  const kept = size / reduced;
  const outShape = attrs.keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return composite(backend, inputs, (k) => {
    const ones = onesColumn(k, reduced);
    // Leading axes: x as [reduced, kept], transposed in the product; trailing: [kept, reduced].
    const a = k.reshape(x, leading ? [1, reduced, kept] : [1, kept, reduced]);
    let y = k.run("BatchMatMul", { a, b: ones }, { transposeA: leading, transposeB: false });
    if (divide) y = k.run("RealDiv", { a: y, b: k.scalar(reduced) });
    return k.reshape(y, outShape);
  });
}
