import * as tf from "@tensorflow/tfjs-core";
import { quietCpuBackend } from "../quiet-cpu.js";
import { registerWasmKernels } from "./wasm/index.js";
import { EngineError } from "../errors.js";

/** tfjs's view of a tensor inside a kernel. */
interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}

/** The backend methods the fallback moves data with (WASM and CPU both have them). */
interface DataBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
}

let installed: string[] | undefined;
const uses = new Map<string, number>();

/** How many times each kernel ran through the CPU fallback in this process. */
export function wasmFallbackUses(): ReadonlyMap<string, number> {
  return uses;
}

/** Whether `kernelName` runs on the WASM backend through the CPU fallback. */
export function isWasmFallback(kernelName: string): boolean {
  return installed?.includes(kernelName) ?? false;
}

/**
 * Registers the training kernels the WASM backend lacks, built from its own kernels
 * (`Conv2DBackpropFilter`, the depthwise convolution gradients, `MaxPoolGrad` taking the first
 * of equal maxima as TensorFlow does, `UnsortedSegmentSum`: ops/wasm), then, for every other
 * kernel the CPU backend has and the WASM backend lacks, a WASM kernel that copies its inputs
 * to the CPU backend, runs the CPU kernel there and copies the result back. Returns the names
 * of those fallback kernels (once computed, the same list).
 *
 * No layer's training step needs a fallback (packages/engine/src/training/layer-kernels.test.ts);
 * they are there for the rest of tfjs's ops. The fallback is per kernel, not per model:
 * everything else keeps running on WASM.
 */
export async function installWasmFallbacks(): Promise<string[]> {
  if (installed !== undefined) return installed;
  registerWasmKernels();
  await import("@tensorflow/tfjs-backend-cpu");
  const wasm = new Set(tf.getKernelsForBackend("wasm").map((k) => k.kernelName));
  const missing = tf.getKernelsForBackend("cpu").filter((k) => !wasm.has(k.kernelName));
  for (const config of missing) {
    tf.registerKernel({
      kernelName: config.kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs, backend }) =>
        runOnCpu(config, inputs as Record<string, TensorInfo>, attrs, backend as unknown as DataBackend),
    });
  }
  installed = missing.map((k) => k.kernelName).sort();
  return installed;
}

function runOnCpu(
  config: tf.KernelConfig,
  inputs: Record<string, TensorInfo>,
  attrs: tf.NamedAttrMap | undefined,
  wasm: DataBackend,
): TensorInfo | TensorInfo[] {
  uses.set(config.kernelName, (uses.get(config.kernelName) ?? 0) + 1);
  const cpu = tf.engine().findBackend("cpu") as unknown as DataBackend | null;
  if (cpu === null)
    throw new EngineError(
      "backend",
      `cannot run kernel ${config.kernelName}: the CPU backend it falls back to is not available`,
    );
  quietCpuBackend();
  // Kernels with a list of inputs (AddN, Concat, Einsum, ...) get a list back.
  const moved: Record<string, TensorInfo> | TensorInfo[] = Array.isArray(inputs) ? [] : {};
  for (const [name, t] of Object.entries(inputs)) {
    (moved as Record<string, TensorInfo>)[name] = {
      dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype),
      shape: t.shape,
      dtype: t.dtype,
    };
  }
  try {
    const out = config.kernelFunc({ inputs: moved as never, attrs: attrs ?? {}, backend: cpu as never }) as
      | TensorInfo
      | TensorInfo[];
    const back = (o: TensorInfo): TensorInfo => {
      const info = { dataId: wasm.write(cpu.readSync(o.dataId), o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
      cpu.disposeData(o.dataId, true);
      return info;
    };
    return Array.isArray(out) ? out.map(back) : back(out);
  } finally {
    for (const t of Object.values(moved)) cpu.disposeData(t.dataId, true);
  }
}
