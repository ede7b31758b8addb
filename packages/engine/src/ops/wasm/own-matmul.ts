import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { gemmCall, gemmSimd, ownProductFaster, runGemmCalls } from "./gemm-simd.js";

// A plain float32 product [m, k] x [k, n] on the engine's own SIMD product (./gemm-simd.ts): no
// packing of the second operand (XNNPACK packs every new tensor it multiplies by: a Dense
// layer's kernel and gradients are new every training step), fused multiply-adds where relaxed
// SIMD is on, split by rows over the kernel pool. ../matmul.ts's plainProduct uses it where
// ownProductFaster says our product runs on as many threads as XNNPACK.

export const OWN_MATMUL = "KerastoreMatMul";

type Args = { inputs: { a: TensorInfo; b: TensorInfo }; backend: KernelBackend };

export function ownMatMulKernel({ inputs, backend }: Args): TensorInfo {
  const { a, b } = inputs;
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const out = (backend as KernelBackend & { makeOutput(s: number[], d: string): TensorInfo }).makeOutput(
    [m, n],
    "float32",
  );
  const c = heapF32(backend, out);
  if (k === 0) c.fill(0);
  else {
    const at = (t: TensorInfo) => heapF32(backend, t).byteOffset;
    runGemmCalls(
      backend,
      gemmCall({ at: at(a), stride: k }, { at: at(b), stride: n }, { at: at(out), stride: n }, [m, k, n]),
    );
  }
  return out;
}

/** Whether a float32 product of these operands runs on {@link ownMatMulKernel}. */
export function ownMatMulApplies(backend: object, a: TensorInfo, b: TensorInfo): boolean {
  return (
    a.dtype === "float32" &&
    b.dtype === "float32" &&
    a.shape.length === 2 &&
    b.shape.length === 2 &&
    gemmSimd(backend) !== null &&
    ownProductFaster(backend)
  );
}
