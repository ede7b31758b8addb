import * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "../../errors.js";
import { isReplaced, type KernelBackend, type TensorInfo, WasmKernelScope } from "./composite.js";

// GatherV2 (an Embedding's lookup, tf.gather) as row copies in the WASM memory. WASM's own
// kernel computes every element's source through strides (3,200 rows of 64 from a
// [10000, 64] table: 7-17 ms against 0.3 ms here). Same values (a copy); indices outside
// [0, dim) are refused as WASM's kernel refuses them. batchDims > 0, and dtypes other than
// float32 and int32, run WASM's kernel.

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  readSync(dataId: object): tf.backend_util.BackendValues;
}

export function gatherV2({
  inputs,
  attrs,
  backend,
}: {
  inputs: { x: TensorInfo; indices: TensorInfo };
  attrs: { axis: number; batchDims: number };
  backend: KernelBackend;
}): TensorInfo {
  const { x, indices } = inputs;
  const heap = backend as HeapBackend;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
  if ((attrs.batchDims ?? 0) !== 0 || (x.dtype !== "float32" && x.dtype !== "int32") || indices.dtype !== "int32")
    return new WasmKernelScope(backend).run("GatherV2", inputs, attrs as never, isReplaced("GatherV2"));
  const dim = x.shape[axis]!;
  const outer = x.shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const slice = x.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const n = indices.shape.reduce((a, d) => a * d, 1);
  const out = heap.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  const ids = heap.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id < dim)) {
      backend.disposeData(out.dataId);
      throw new EngineError("invalid-argument", `cannot gather: the index value ${id} is not in [0, ${dim - 1}]`);
    }
  }
  if (n === 0 || slice === 0 || outer === 0) return out;
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  for (let o = 0; o < outer; o++) {
    const from = o * dim * slice;
    const to = o * n * slice;
    if (slice === 1) for (let i = 0; i < n; i++) dst[to + i] = src[from + ids[i]!]!;
    else
      for (let i = 0; i < n; i++) {
        const s = from + ids[i]! * slice;
        dst.set(src.subarray(s, s + slice), to + i * slice);
      }
  }
  return out;
}

/** The name under which {@link ensureGatherRows} registers {@link gatherV2} (Embedding's lookup). */
export const GATHER_ROWS = "KerastoreGatherRows";

/**
 * Registers {@link gatherV2} for WASM under its own name (once), for the engine's own lookups
 * whether or not the training kernels are registered; whether it is there.
 */
export function ensureGatherRows(): boolean {
  if (tf.getBackend() !== "wasm") return false;
  if (tf.getKernel(GATHER_ROWS, "wasm") === undefined)
    tf.registerKernel({
      kernelName: GATHER_ROWS,
      backendName: "wasm",
      kernelFunc: gatherV2 as unknown as tf.KernelFunc,
    });
  return true;
}
