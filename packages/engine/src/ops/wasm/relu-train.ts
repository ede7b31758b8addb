import * as tf from "@tensorflow/tfjs-core";
import { composite, heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { runElementwise } from "./kernel-pool.js";
import { RELU_MODULE, simdRelu } from "./relu-simd.js";

/** Bytes per part under which the loops run on one thread (./kernel-pool.ts). */
const PART_BYTES = 1 << 18;
import { flushTiny } from "./subnormal.js";

// ReLU while training, on WASM. tfjs's Relu gradient is two passes over the feature map (Step,
// then Multiply); here it is one (KerastoreReluGrad, a WebAssembly SIMD loop of ./relu-simd.ts),
// and an Add whose sum feeds only a ReLU (a residual block's skip) runs as one pass forward
// (KerastoreAddRelu). The values are tfjs's (NaN, infinities and signed zeros included), except
// that a gradient under 2^-100 in magnitude is set to a zero of its sign (./subnormal.ts: the
// products of the layers before take a slow path on subnormal numbers).
// The engine's own kernel names (KerastoreRelu's forward is WASM's Relu) carry these gradients:
// tfjs's global Relu gradient is left as it is.

export const RELU = "KerastoreRelu";
export const RELU_GRAD = "KerastoreReluGrad";
export const ADD_RELU = "KerastoreAddRelu";

type Backend = KernelBackend & { makeOutput(shape: number[], dtype: tf.DataType): TensorInfo };

/** Forward: WASM's own Relu. */
export function reluKernel({ inputs, backend }: { inputs: { x: TensorInfo }; backend: KernelBackend }): TensorInfo {
  return composite(backend, inputs, (k) => k.run("Relu", inputs));
}

/** dy * step(t), flushed below 2^-100, in JavaScript: the definition the SIMD loop follows. */
export function reluGradValue(dy: number, t: number): number {
  const step = t > 0 ? 1 : Number.isNaN(t) ? Number.NaN : 0;
  return flushTiny(Math.fround(dy * step));
}

/**
 * The gradient: dx = dy * step(t) (values under 2^-100 set to zero), `t` the ReLU's input or
 * its output (the same steps: relu keeps positives and NaN).
 */
export function reluGradKernel(args: {
  inputs: { dy: TensorInfo; t: TensorInfo };
  backend: KernelBackend;
  useSimd?: boolean;
}): TensorInfo {
  const { inputs, useSimd = true } = args;
  const backend = args.backend as Backend;
  const out = backend.makeOutput(inputs.t.shape, "float32");
  reluGradInto(backend, heapF32(backend, inputs.dy), heapF32(backend, inputs.t), heapF32(backend, out), useSimd);
  return out;
}

/** dx = dy * step(t), flushed, for views of the backend's memory (dx may be dy's memory). */
export function reluGradInto(
  backend: KernelBackend,
  dy: Float32Array,
  t: Float32Array,
  dx: Float32Array,
  useSimd = true,
): void {
  const simd = useSimd ? simdRelu(backend) : null;
  let start = 0;
  if (simd !== null) {
    start = dx.length - (dx.length % 4);
    runElementwise(backend, RELU_MODULE, "grad", [dy.byteOffset, t.byteOffset, dx.byteOffset], start * 4, PART_BYTES);
  }
  for (let i = start; i < dx.length; i++) dx[i] = reluGradValue(dy[i]!, t[i]!);
}

/** Forward of Add + ReLU: y = max(a + b, 0) (NaN kept), a and b of one shape. */
export function addReluKernel(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: KernelBackend;
  useSimd?: boolean;
}): TensorInfo {
  const { inputs, useSimd = true } = args;
  const backend = args.backend as Backend;
  const out = backend.makeOutput(inputs.a.shape, "float32");
  const simd = useSimd ? simdRelu(backend) : null;
  const [a, b, y] = [heapF32(backend, inputs.a), heapF32(backend, inputs.b), heapF32(backend, out)];
  let start = 0;
  if (simd !== null) {
    start = y.length - (y.length % 4);
    runElementwise(backend, RELU_MODULE, "addRelu", [a.byteOffset, b.byteOffset, y.byteOffset], start * 4, PART_BYTES);
  }
  for (let i = start; i < y.length; i++) {
    const z = Math.fround(a[i]! + b[i]!);
    y[i] = z > 0 || Number.isNaN(z) ? z : 0;
  }
  return out;
}

let gradients = false;

/** Registers the two forward kernels' gradients (once). */
export function registerReluGradients(): void {
  if (gradients) return;
  gradients = true;
  tf.registerGradient({
    kernelName: RELU,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved as [tf.Tensor];
      return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, t: x }) as tf.Tensor };
    },
  });
  tf.registerGradient({
    kernelName: ADD_RELU,
    outputsToSave: [true],
    gradFunc: (dy, saved) => {
      const [y] = saved as [tf.Tensor];
      const dz = tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, t: y }) as tf.Tensor;
      // Two references: the tape frees each input's gradient on its own.
      return { a: () => dz, b: () => tf.clone(dz) };
    },
  });
}

/**
 * Whether these kernels and the training-time ReLU fusions (../../relu-fusion.ts) are on:
 * KERASTORE_TRAIN_RELU=0 turns them off (tfjs's Relu and its gradient run, as before them).
 */
export function trainingReluOn(): boolean {
  return (
    (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.KERASTORE_TRAIN_RELU !==
    "0"
  );
}

/** Whether gradients are being recorded and the WASM kernel `name` can take float32 `xs`. */
function onWasmTape(name: string, xs: tf.Tensor[]): boolean {
  const engine = tf.engine() as unknown as { state: { gradientDepth: number } };
  return (
    engine.state.gradientDepth > 0 &&
    trainingReluOn() &&
    xs.every((x) => x.dtype === "float32") &&
    tf.getBackend() === "wasm" &&
    tf.getKernel(name, "wasm") !== undefined
  );
}

/** relu(x); while gradients are recorded on WASM, through {@link RELU} (its one-pass gradient). */
export function relu(x: tf.Tensor): tf.Tensor {
  if (!onWasmTape(RELU, [x])) return tf.relu(x);
  return tf.engine().runKernel(RELU, { x }) as tf.Tensor;
}

/** relu(a + b); while gradients are recorded on WASM and a, b share a shape, one kernel ({@link ADD_RELU}). */
export function addRelu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const same = a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]);
  if (!same || !onWasmTape(ADD_RELU, [a, b])) return relu(tf.add(a, b));
  return tf.engine().runKernel(ADD_RELU, { a, b }) as tf.Tensor;
}
