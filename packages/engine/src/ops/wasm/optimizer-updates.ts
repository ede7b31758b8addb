import * as tf from "@tensorflow/tfjs-core";
import { heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { simdAdam } from "./simd-adam.js";

// One kernel per variable for an optimizer step (Adam, SGD with or without momentum, RMSprop),
// in place of the ~10 tfjs ops Keras's update rule takes: one JavaScript pass over the WASM
// memory of the variable, its gradient and its slots, writing new tensors (a variable's
// memory may be shared with other tensors, so nothing is updated in place). Each operation is
// rounded to float32 as WASM's own kernels round it, in the same order: the results are the
// ops' results, bit for bit. The optimizers use these for variables up to FUSED_MAX elements,
// and Adam for any size where its WebAssembly SIMD loop runs (./simd-adam.ts); other large
// variables keep the ops, which XNNPACK splits across threads.

/** Largest variable (elements) updated by one fused kernel. */
export const FUSED_MAX = 1 << 16;

const f = Math.fround;

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

type Args = { inputs: Record<string, TensorInfo>; attrs: Record<string, number | boolean>; backend: KernelBackend };

function outputs(backend: KernelBackend, like: TensorInfo, count: number): TensorInfo[] {
  return Array.from({ length: count }, () => (backend as HeapBackend).makeOutput(like.shape, "float32"));
}

/**
 * Adam: [x, m, v] from x, g, m, v and, for a looked-up variable, sq (the gradient squared as
 * Keras squares it, slice by slice); attrs c1 = 1 - beta1, c2 = 1 - beta2, alpha, eps (float32
 * already). The elements up to a multiple of 4 run as WebAssembly SIMD (./simd-adam.ts) when
 * the backend's memory allows, the rest here.
 */
export function adamUpdate({ inputs, attrs, backend }: Args): TensorInfo[] {
  const outs = outputs(backend, inputs.x!, 3);
  const [xo, mo, vo] = outs.map((o) => heapF32(backend, o)) as [Float32Array, Float32Array, Float32Array];
  const x = heapF32(backend, inputs.x!);
  const g = heapF32(backend, inputs.g!);
  const m = heapF32(backend, inputs.m!);
  const v = heapF32(backend, inputs.v!);
  const sq = inputs.sq === undefined ? undefined : heapF32(backend, inputs.sq);
  const { c1, c2, alpha, eps } = attrs as Record<string, number>;
  const simd = simdAdam(backend);
  let start = 0;
  if (simd !== null) {
    start = x.length - (x.length % 4);
    const at = [x, g, m, v, xo, mo, vo].map((a) => a.byteOffset);
    if (sq === undefined) simd.adam(...at, 0, start, c1!, c2!, alpha!, eps!);
    else simd.adamSq(...at, sq.byteOffset, start, c1!, c2!, alpha!, eps!);
  }
  for (let i = start; i < x.length; i++) {
    const gi = g[i]!;
    const mi = m[i]!;
    const vi = v[i]!;
    const m2 = f(mi + f(f(gi - mi) * c1!));
    const v2 = f(vi + f(f((sq === undefined ? f(gi * gi) : sq[i]!) - vi) * c2!));
    mo[i] = m2;
    vo[i] = v2;
    xo[i] = x[i]! - f(f(m2 * alpha!) / f(f(Math.sqrt(v2)) + eps!));
  }
  return outs;
}

/** SGD: [x] from x, g (no momentum), or [x, m] from x, g, m; attrs lr, momentum, nesterov. */
export function sgdUpdate({ inputs, attrs, backend }: Args): TensorInfo[] {
  const withMomentum = inputs.m !== undefined;
  const outs = outputs(backend, inputs.x!, withMomentum ? 2 : 1);
  const xo = heapF32(backend, outs[0]!);
  const mo = withMomentum ? heapF32(backend, outs[1]!) : undefined;
  const x = heapF32(backend, inputs.x!);
  const g = heapF32(backend, inputs.g!);
  const m = withMomentum ? heapF32(backend, inputs.m!) : undefined;
  const lr = attrs.lr as number;
  const mom = attrs.momentum as number;
  if (m === undefined || mo === undefined) {
    for (let i = 0; i < x.length; i++) xo[i] = x[i]! - f(g[i]! * lr);
  } else if (attrs.nesterov === true) {
    for (let i = 0; i < x.length; i++) {
      const step = f(g[i]! * lr);
      const m2 = f(f(m[i]! * mom) - step);
      mo[i] = m2;
      xo[i] = x[i]! + f(f(m2 * mom) - step);
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const m2 = f(f(m[i]! * mom) - f(g[i]! * lr));
      mo[i] = m2;
      xo[i] = x[i]! + m2;
    }
  }
  return outs;
}

/**
 * RMSprop: [x, v, (mom), (avg)] from x, g, v, (mom when momentum > 0), (avg when centered);
 * attrs rho, c = 1 - rho, lr, eps, momentum.
 */
export function rmspropUpdate({ inputs, attrs, backend }: Args): TensorInfo[] {
  const hasMom = inputs.mom !== undefined;
  const hasAvg = inputs.avg !== undefined;
  const outs = outputs(backend, inputs.x!, 2 + (hasMom ? 1 : 0) + (hasAvg ? 1 : 0));
  const views = outs.map((o) => heapF32(backend, o));
  const xo = views[0]!;
  const vo = views[1]!;
  const momo = hasMom ? views[2]! : undefined;
  const avgo = hasAvg ? views[hasMom ? 3 : 2]! : undefined;
  const x = heapF32(backend, inputs.x!);
  const g = heapF32(backend, inputs.g!);
  const v = heapF32(backend, inputs.v!);
  const mom = hasMom ? heapF32(backend, inputs.mom!) : undefined;
  const avg = hasAvg ? heapF32(backend, inputs.avg!) : undefined;
  const { rho, c, lr, eps, momentum } = attrs as Record<string, number>;
  for (let i = 0; i < x.length; i++) {
    const gi = g[i]!;
    const v2 = f(f(v[i]! * rho!) + f(f(gi * gi) * c!));
    vo[i] = v2;
    let den: number;
    if (avg !== undefined && avgo !== undefined) {
      const a2 = f(f(avg[i]! * rho!) + f(gi * c!));
      avgo[i] = a2;
      den = f(f(v2 - f(a2 * a2)) + eps!);
    } else den = f(v2 + eps!);
    const inc = f(f(gi * lr!) / f(Math.sqrt(den)));
    if (mom !== undefined && momo !== undefined) {
      const p2 = f(f(mom[i]! * momentum!) + inc);
      momo[i] = p2;
      xo[i] = x[i]! - p2;
    } else xo[i] = x[i]! - inc;
  }
  return outs;
}

/**
 * Whether a variable's update can run as one fused kernel (WASM backend, float32, small enough
 * or, for Adam, any size where its SIMD loop runs).
 */
export function canFuse(variable: tf.Tensor, kernel: string): boolean {
  return (
    variable.dtype === "float32" &&
    tf.getBackend() === "wasm" &&
    tf.getKernel(kernel, "wasm") !== undefined &&
    (variable.size <= FUSED_MAX || (kernel === "KerastoreAdamUpdate" && simdAdam(tf.backend()) !== null))
  );
}

/** Runs a fused update kernel and returns its outputs. */
export function runFused(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number | boolean>) {
  return tf.engine().runKernel(kernel, inputs as never, attrs as never) as unknown as tf.Tensor[];
}
