// Run by gemm-fused.test.ts in a child process (the Node entry, so the engine's Node hooks are
// in force): sets up the WASM backend on `argv[2]` threads, then multiplies fixed matrices with
// the SIMD product (./gemm-simd.ts) and prints (JSON, last line of stdout) whether relaxed SIMD
// was on, how many calls the kernel pool ran, and the product's values.
import { initBackend, tf } from "../../node.js";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { gemmCall, gemmSimd, runGemmCalls } from "./gemm-simd.js";
import { registerWasmKernels } from "./index.js";
import { kernelPoolCalls } from "./kernel-pool.js";
import { relaxedSimd } from "./wasm-encode.js";
import { gemmInputs } from "./gemm-fused-inputs.test-util.js";

await initBackend({ backend: "wasm", threads: Number(process.argv[2] ?? 1) });
registerWasmKernels();
const backend = tf.backend() as unknown as KernelBackend & { dataIdMap: { get(id: object): { memoryOffset: number } } };
const { m, k, n, a, b } = gemmInputs();
const [at, bt, ct] = [tf.tensor(a), tf.tensor(b), tf.zeros([m * n])];
const addr = (t: tf.Tensor) => backend.dataIdMap.get(t.dataId).memoryOffset;
if (gemmSimd(backend) === null) throw new TypeError("the SIMD product did not start");
const before = kernelPoolCalls();
runGemmCalls(
  backend,
  gemmCall({ at: addr(at), stride: k }, { at: addr(bt), stride: n }, { at: addr(ct), stride: n }, [m, k, n]),
);
const c = Array.from(heapF32(backend, ct as unknown as TensorInfo));
console.log(JSON.stringify({ relaxed: relaxedSimd(), pooled: kernelPoolCalls() - before, c }));
