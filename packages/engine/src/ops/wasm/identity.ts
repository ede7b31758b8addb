import { composite, type KernelBackend, type TensorInfo, WasmKernelScope } from "./composite.js";

// Identity, and a Cast to the dtype a tensor already has (tfjs's gradients cast their operands
// to float32: each Multiply's gradient, for one), as a new reference to the same memory, as
// tfjs-backend-cpu makes them; WASM's own kernels copy every element. No kernel writes into
// its inputs, so a shared buffer stays as it is. A cast to bool is `x != 0` (TensorFlow's and
// tfjs-backend-cpu's): WASM's Cast truncates to a byte instead (-2 -> 254, 0.5 -> 0, 256 -> 0,
// NaN -> 0). Other casts (and strings) run WASM's kernels.

interface RefBackend extends KernelBackend {
  incRef(dataId: object): void;
}

const shared = (backend: KernelBackend, x: TensorInfo): TensorInfo => {
  (backend as RefBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

type Args = { inputs: { x: TensorInfo }; attrs: { dtype?: string }; backend: KernelBackend };

export function identity({ inputs, backend }: Args): TensorInfo {
  if (inputs.x.dtype === "string") return new WasmKernelScope(backend).run("Identity", inputs, {}, true);
  return shared(backend, inputs.x);
}

export function cast({ inputs, attrs, backend }: Args): TensorInfo {
  if (inputs.x.dtype === attrs.dtype && inputs.x.dtype !== "string") return shared(backend, inputs.x);
  const x = inputs.x;
  if (attrs.dtype === "bool" && (x.dtype === "float32" || x.dtype === "int32"))
    return composite(backend, inputs, (k) => k.run("NotEqual", { a: x, b: k.scalar(0, x.dtype) }));
  return new WasmKernelScope(backend).run("Cast", inputs, attrs as never, true);
}
