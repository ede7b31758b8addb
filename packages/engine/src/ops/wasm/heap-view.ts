import type * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "../../errors.js";
import type { KernelBackend, TensorInfo } from "./composite.js";

// A tensor that is a window of another tensor's WASM memory, without a copy: what a native kernel
// (an XNNPACK product) reads as its own input. tfjs's WASM backend registers any memory offset
// as a tensor (BackendWasm.makeOutput with an offset); freeing such a tensor the usual way would
// free the window's start, which is not an allocation, so a view is released with
// releaseHeapView, which unregisters it and leaves the memory to its owner.

interface WasmData {
  id: number;
  memoryOffset: number;
}

interface ViewBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  dataIdMap: { get(dataId: object): WasmData | undefined; delete(dataId: object): void };
  wasm: { tfjs: { disposeData(id: number): void } };
}

/**
 * A float32 tensor of `shape` over `owner`'s memory from element `offset` on. The window must lie
 * inside `owner`; the view must be released ({@link releaseHeapView}) before `owner` is freed.
 */
export function heapView(backend: KernelBackend, owner: TensorInfo, offset: number, shape: number[]): TensorInfo {
  const b = backend as ViewBackend;
  const data = b.dataIdMap.get(owner.dataId);
  const size = shape.reduce((a, d) => a * d, 1);
  const ownerSize = owner.shape.reduce((a, d) => a * d, 1);
  if (data === undefined || owner.dtype !== "float32" || offset < 0 || offset + size > ownerSize)
    throw new EngineError(
      "backend",
      `cannot view WASM memory: elements ${offset}..${offset + size} are not inside a float32 tensor of ${ownerSize}`,
    );
  return b.makeOutput(shape, "float32", data.memoryOffset + 4 * offset);
}

/** Unregisters a view made by {@link heapView}; its memory stays its owner's. */
export function releaseHeapView(backend: KernelBackend, view: TensorInfo): void {
  const b = backend as ViewBackend;
  const data = b.dataIdMap.get(view.dataId);
  if (data === undefined) return;
  b.wasm.tfjs.disposeData(data.id);
  b.dataIdMap.delete(view.dataId);
}
