import * as tf from "@tensorflow/tfjs-core";

/**
 * Small kernels on one thread in tfjs-backend-wasm's threaded build.
 *
 * The build hands every XNNPACK operator (matrix products, convolutions, elementwise ops,
 * pooling) its thread pool, and a pool of 2+ threads wakes its workers for every call, however
 * small: an LSTM step's [32, 64] x [64, 256] product or a [32, 64] elementwise op waits for a
 * worker's wake-up (tens of microseconds, more on a busy machine) to save less than that. The
 * build keeps its pool in one C++ global (`tfjs::backend::threadpool`), and XNNPACK runs an
 * operator on the calling thread when handed no pool: for a kernel whose work is under a
 * threshold, this global is cleared while the kernel runs and restored after. Results are the
 * same either way (each output element is computed by one thread).
 */

interface HeapModule {
  HEAPU8: Uint8Array;
}

/** Multiply-adds under which a matrix product or convolution runs on the calling thread. */
export const SMALL_PRODUCT = 1 << 20;
/** Elements under which any other kernel runs on the calling thread. */
export const SMALL_ELEMENTWISE = 1 << 15;

type Info = { shape: number[] };
const size = (t: Info | undefined) => (t === undefined ? 0 : t.shape.reduce((a, d) => a * d, 1));

/** A kernel call's work: multiply-adds for products and convolutions, else its largest input's size. */
export function kernelWork(name: string, inputs: Record<string, Info>, attrs: Record<string, unknown>): number {
  if (name === "BatchMatMul" || name === "_FusedMatMul") {
    const b = inputs.b!;
    const n = b.shape[b.shape.length - (attrs.transposeB === true ? 2 : 1)]!;
    return size(inputs.a) * n;
  }
  if (
    name === "Conv2D" ||
    name === "FusedConv2D" ||
    name === "DepthwiseConv2dNative" ||
    name === "FusedDepthwiseConv2D"
  ) {
    const f = inputs.filter!;
    // Per input element: kernel height x width x output channels (an upper bound with strides).
    const inC = f.shape[2]!;
    return (size(inputs.x) * size(f)) / Math.max(1, inC);
  }
  let most = 0;
  for (const t of Object.values(inputs)) most = Math.max(most, size(t));
  return most;
}

/** Whether a kernel call is small enough to run on the calling thread. */
export function isSmallKernel(name: string, inputs: Record<string, Info>, attrs: Record<string, unknown>): boolean {
  return kernelWork(name, inputs, attrs) < limitOf(name);
}

const limitOf = (name: string) => (/MatMul|Conv/.test(name) ? SMALL_PRODUCT : SMALL_ELEMENTWISE);

let wrapped = false;

/**
 * Wraps every kernel registered for `wasm` (once): small calls run with the thread pool global at
 * `address` (a byte offset in the module's memory) cleared.
 */
export function runSmallKernelsOnOneThread(module: HeapModule, address: number): void {
  if (wrapped) return;
  wrapped = true;
  const index = address >> 2;
  let view = new Int32Array(module.HEAPU8.buffer);
  const heap = () => {
    if (view.buffer !== module.HEAPU8.buffer) view = new Int32Array(module.HEAPU8.buffer);
    return view;
  };
  for (const config of tf.getKernelsForBackend("wasm")) {
    const run = config.kernelFunc;
    const name = config.kernelName;
    const limit = limitOf(name);
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (kernelWork(name, args.inputs as never, (args.attrs ?? {}) as Record<string, unknown>) >= limit)
          return run(args);
        const h = heap();
        const pool = h[index]!;
        h[index] = 0;
        try {
          return run(args);
        } finally {
          heap()[index] = pool;
        }
      },
    });
  }
}
