import * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "../../errors.js";

/** tfjs's view of a tensor inside a kernel. */
export interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

/** The WASM backend, as a kernel sees it. */
export interface KernelBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** What kernels written in JavaScript use of tfjs's `BackendWasm`: new tensors and their memory. */
interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * A float32 tensor's values where they live, in the WASM memory (no copy). Take it after the
 * last allocation: a growing memory detaches older views.
 */
export function heapF32(backend: KernelBackend, t: TensorInfo): Float32Array {
  if (t.dtype !== "float32")
    throw new EngineError("invalid-argument", `cannot read a tensor from WASM memory as float32: it is ${t.dtype}`);
  return (backend as HeapBackend).typedArrayFromHeap(t) as Float32Array;
}

/**
 * Runs registered WASM kernels one after another inside a kernel of our own, keeping track of
 * their intermediate results and freeing them when done.
 *
 * tfjs's composite kernels (the CPU and WASM backends' own) are written this way: they call
 * other kernels' functions directly with the backend, so the engine and the gradient tape see
 * only the outer kernel. Every kernel called here is a native WASM kernel; asking for one that
 * is not registered for `wasm` (or one we registered ourselves, to avoid recursion) throws.
 */
// WASM's own kernels we replaced, by name (a replacement may still call the original).
const replaced = new Map<string, tf.KernelConfig>();

/** Keeps WASM's own kernel `name` callable through {@link WasmKernelScope.run} with `native`. */
export function rememberNative(name: string): void {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel !== undefined && !replaced.has(name)) replaced.set(name, kernel);
}

/** Whether WASM's own kernel `name` was replaced (and is reached with `native`). */
export function isReplaced(name: string): boolean {
  return replaced.has(name);
}

export class WasmKernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(readonly backend: KernelBackend) {}

  /** Runs `name`'s WASM kernel; its outputs are freed by {@link dispose} unless kept. */
  run(
    name: string,
    inputs: Record<string, TensorInfo>,
    attrs: Record<string, unknown> = {},
    native = false,
  ): TensorInfo {
    const outs = this.runMulti(name, inputs, attrs, native);
    if (outs.length !== 1)
      throw new EngineError("backend", `cannot run kernel ${name}: it returned ${outs.length} outputs, expected 1`);
    return outs[0]!;
  }

  runMulti(
    name: string,
    inputs: Record<string, TensorInfo>,
    attrs: Record<string, unknown> = {},
    native = false,
  ): TensorInfo[] {
    const kernel = native ? replaced.get(name) : tf.getKernel(name, "wasm");
    if (kernel === undefined)
      throw new EngineError("backend", `cannot run kernel ${name}: it is not registered for backend 'wasm'`);
    const out = kernel.kernelFunc({ inputs: inputs as never, attrs: attrs as never, backend: this.backend as never }) as
      | TensorInfo
      | TensorInfo[];
    const outs = Array.isArray(out) ? out : [out];
    this.temps.push(...outs);
    return outs;
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
    return this.run("Reshape", { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run("Transpose", { x }, { perm });
  }

  /** Pads with `value`; returns `x` itself when every padding is zero. */
  pad(x: TensorInfo, paddings: Array<[number, number]>, value = 0): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run("PadV2", { x }, { paddings, constantValue: value });
  }

  /** `x[begin : begin + size]`; returns `x` itself when that is all of it. */
  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i])) return x;
    return this.run("Slice", { x }, { begin, size });
  }

  /** `x[begin : end : strides]` (every mask zero). */
  stridedSlice(x: TensorInfo, begin: number[], end: number[], strides: number[]): TensorInfo {
    return this.run(
      "StridedSlice",
      { x },
      { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
    );
  }

  /** A new float32 tensor, uninitialized (a kernel written in JavaScript fills it through {@link heapF32}). */
  output(shape: number[]): TensorInfo {
    const t = (this.backend as HeapBackend).makeOutput(shape, "float32");
    this.temps.push(t);
    return t;
  }

  /** A scalar constant. */
  scalar(value: number, dtype: tf.DataType = "float32"): TensorInfo {
    return this.run("Fill", {}, { shape: [], value, dtype });
  }

  /** Keeps `t` (the kernel's result) from being freed by {@link dispose}. */
  keep<T extends TensorInfo>(t: T): T {
    const i = this.temps.indexOf(t);
    if (i >= 0) this.temps.splice(i, 1);
    return t;
  }

  /** Frees every intermediate result not kept. */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/**
 * Runs `body` in a {@link WasmKernelScope} and returns its result, every intermediate freed. A
 * result that is one of the kernel's inputs is passed through the `Identity` kernel (a new
 * reference, as tfjs expects of a kernel's output).
 */
export function composite(
  backend: KernelBackend,
  inputs: Record<string, TensorInfo>,
  body: (k: WasmKernelScope) => TensorInfo,
): TensorInfo {
  const k = new WasmKernelScope(backend);
  try {
    let out = body(k);
    if (Object.values(inputs).includes(out)) out = k.run("Identity", { x: out });
    return k.keep(out);
  } finally {
    k.dispose();
  }
}

/**
 * Moves `g` ([batch, outH, outW, channels]) to rows `offH + i * strideH` and columns
 * `offW + j * strideW` of a zero grid of [batch, height, width, channels]: where a window
 * position's contribution lands in the input of a strided window op.
 */
export function placeStrided(
  k: WasmKernelScope,
  g: TensorInfo,
  stride: [number, number],
  offset: [number, number],
  size: [number, number],
): TensorInfo {
  const [b, oh, ow, c] = g.shape as [number, number, number, number];
  const [sh, sw] = stride;
  let d = g;
  if (sh > 1)
    d = k.reshape(
      k.pad(k.reshape(d, [b * oh, 1, ow * c]), [
        [0, 0],
        [0, sh - 1],
        [0, 0],
      ]),
      [b, oh * sh, ow, c],
    );
  if (sw > 1)
    d = k.reshape(
      k.pad(k.reshape(d, [b * oh * sh * ow, 1, c]), [
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]),
      [b, oh * sh, ow * sw, c],
    );
  const rows = Math.min(oh * sh, size[0] - offset[0]);
  const cols = Math.min(ow * sw, size[1] - offset[1]);
  d = k.slice(d, [0, 0, 0, 0], [b, rows, cols, c]);
  return k.pad(d, [
    [0, 0],
    [offset[0], size[0] - offset[0] - rows],
    [offset[1], size[1] - offset[1] - cols],
    [0, 0],
  ]);
}
