import * as tf from "@tensorflow/tfjs-core";
import { heapF32, type KernelBackend, type TensorInfo, WasmKernelScope } from "./composite.js";

// An LSTM (tanh, sigmoid gates i, f, c, o) over a whole sequence as two WASM kernels, forward
// and backward, each one launch for all the steps. Per step the forward runs WASM's own
// BatchMatMul (h @ U), Sigmoid (all gates) and Tanh (the cell input, then c) kernels directly (no engine round trip) and combines
// the gates in one JavaScript pass over the WASM memory; the backward pass runs one
// JavaScript pass and one BatchMatMul (dz @ U^T) per step. Every elementwise operation is
// rounded to float32 in the order of the ops of ../lstm-sequence.ts's composite: the results
// are the composite's, bit for bit.
//
// Through the engine a step costs 11 kernel launches forward and ~25 backward, each with the
// engine's bookkeeping (~10 us); here it is 4 native calls forward, 1 backward.

export const LSTM_FORWARD = "KerastoreLstmForward";
export const LSTM_BACKWARD = "KerastoreLstmBackward";

const f = Math.fround;

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}

/**
 * Forward: inputs xp ([steps * batch, 4 * units], the input projection with the bias, time
 * major), u ([units, 4 * units]), h0, c0 ([batch, units]); attr `train`. Outputs the sequence
 * ([steps + 1, batch, units]: every step's h, then the last c) and, when training, what the
 * backward pass needs: the activated gates ([steps, batch, 4 * units]), tanh(c) and the
 * previous c of every step ([steps, batch, units] each) and the previous h of every step
 * ([steps * batch, units], the left operand of the recurrent kernel's gradient).
 */
export function lstmForward({
  inputs,
  attrs,
  backend,
}: {
  inputs: { xp: TensorInfo; u: TensorInfo; h0: TensorInfo; c0: TensorInfo };
  attrs: { train: boolean };
  backend: KernelBackend;
}): TensorInfo[] {
  const { xp, u, h0, c0 } = inputs;
  const [batch, units] = h0.shape as [number, number];
  const width = 4 * units;
  const steps = xp.shape[0]! / batch;
  const area = batch * units;
  const heap = backend as HeapBackend;
  const train = attrs.train;
  const seq = heap.makeOutput([steps + 1, batch, units], "float32");
  const saved = train
    ? [
        heap.makeOutput([steps, batch, width], "float32"),
        heap.makeOutput([steps, batch, units], "float32"),
        heap.makeOutput([steps, batch, units], "float32"),
        heap.makeOutput([steps * batch, units], "float32"),
      ]
    : [];
  const k = new WasmKernelScope(backend);
  try {
    // The step's h (the product's left operand), z and c live in tensors of their own, reused.
    const h = k.output([batch, units]);
    const z = k.output([batch, width]);
    const c = k.output([batch, units]);
    const g = k.output([batch, units]);
    heapF32(backend, h).set(heapF32(backend, h0));
    heapF32(backend, c).set(heapF32(backend, c0));
    for (let t = 0; t < steps; t++) {
      const hu = k.run("BatchMatMul", { a: h, b: u }, { transposeA: false, transposeB: false });
      {
        const zv = heapF32(backend, z);
        const xv = heapF32(backend, xp);
        const hv = heapF32(backend, hu);
        const base = t * batch * width;
        addRows(zv, xv, base, hv);
        // The cell input's columns, contiguous: WASM's Tanh is a scalar loop (~6 ns an element).
        const gv = heapF32(backend, g);
        for (let b = 0; b < batch; b++) gv.set(zv.subarray(b * width + 2 * units, b * width + 3 * units), b * units);
      }
      const s = k.run("Sigmoid", { x: z });
      const th = k.run("Tanh", { x: g });
      // The new c (in place), and the gates for the backward pass.
      {
        const sv = heapF32(backend, s);
        const tv = heapF32(backend, th);
        const cv = heapF32(backend, c);
        const act = train ? heapF32(backend, saved[0]!) : undefined;
        const cprev = train ? heapF32(backend, saved[2]!) : undefined;
        cellStep(sv, tv, cv, act, cprev, t, batch, units);
      }
      const tc = k.run("Tanh", { x: c });
      {
        const sv = heapF32(backend, s);
        const tcv = heapF32(backend, tc);
        const hv = heapF32(backend, h);
        const sq = heapF32(backend, seq);
        if (train) {
          heapF32(backend, saved[1]!).set(tcv, t * area);
          heapF32(backend, saved[3]!).set(hv, t * area);
        }
        for (let b = 0; b < batch; b++) {
          for (let q = 0; q < units; q++) {
            const at = b * units + q;
            hv[at] = f(sv[b * width + 3 * units + q]! * tcv[at]!);
          }
        }
        sq.set(hv, t * area);
        if (t === steps - 1) sq.set(heapF32(backend, c), steps * area);
      }
      for (const x of [hu, s, th, tc]) {
        backend.disposeData(x.dataId);
        k.keep(x);
      }
    }
    if (steps === 0) heapF32(backend, seq).set(heapF32(backend, c0));
  } finally {
    k.dispose();
  }
  return [seq, ...saved];
}

/**
 * Backward: inputs dy ([steps + 1, batch, units], the gradient of the forward's sequence), the
 * forward's act, tc, cprev, and uT ([4 * units, units]). Outputs dZ ([steps * batch, 4 *
 * units], the gradient of xp), dh0 and dc0.
 */
export function lstmBackward({
  inputs,
  backend,
}: {
  inputs: { dy: TensorInfo; act: TensorInfo; tc: TensorInfo; cprev: TensorInfo; uT: TensorInfo };
  backend: KernelBackend;
}): TensorInfo[] {
  const { dy, act, tc, cprev, uT } = inputs;
  const [steps, batch, units] = tc.shape as [number, number, number];
  const width = 4 * units;
  const area = batch * units;
  const heap = backend as HeapBackend;
  const dZ = heap.makeOutput([steps * batch, width], "float32");
  const dh0 = heap.makeOutput([batch, units], "float32");
  const dc0 = heap.makeOutput([batch, units], "float32");
  const dh = new Float32Array(area);
  const dc = heapF32(backend, dy).slice(steps * area, (steps + 1) * area);
  const k = new WasmKernelScope(backend);
  try {
    const dz = k.output([batch, width]);
    for (let t = steps - 1; t >= 0; t--) {
      {
        const dyv = heapF32(backend, dy);
        const av = heapF32(backend, act);
        const tcv = heapF32(backend, tc);
        const cpv = heapF32(backend, cprev);
        const dzv = heapF32(backend, dz);
        const gate = t * batch * width;
        backStep(dyv, av, tcv, cpv, dzv, dh, dc, t, batch, units);
        heapF32(backend, dZ).set(dzv, gate);
      }
      const next = k.run("BatchMatMul", { a: dz, b: uT }, { transposeA: false, transposeB: false });
      dh.set(heapF32(backend, next));
      backend.disposeData(next.dataId);
      k.keep(next);
    }
    heapF32(backend, dh0).set(dh);
    heapF32(backend, dc0).set(dc);
  } finally {
    k.dispose();
  }
  return [dZ, dh0, dc0];
}

/**
 * One forward step's cell update, in place in `c` ([batch, units]) from the sigmoid of every
 * gate `s` and tanh of the cell input `tg`; with `act` / `cprev`, the gates and the old c saved
 * at step `t`. (Hot loops sit in small functions of their own, which V8 optimizes alone.)
 */
function cellStep(
  s: Float32Array,
  tg: Float32Array,
  c: Float32Array,
  act: Float32Array | undefined,
  cprev: Float32Array | undefined,
  t: number,
  batch: number,
  units: number,
): void {
  const width = 4 * units;
  const area = batch * units;
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let q = 0; q < units; q++) {
      const i = s[row + q]!;
      const fg = s[row + units + q]!;
      const gt = tg[b * units + q]!;
      const o = s[row + 3 * units + q]!;
      const at = b * units + q;
      const cOld = c[at]!;
      c[at] = f(f(fg * cOld) + f(i * gt));
      if (act !== undefined && cprev !== undefined) {
        const out = t * batch * width + row;
        act[out + q] = i;
        act[out + units + q] = fg;
        act[out + 2 * units + q] = gt;
        act[out + 3 * units + q] = o;
        cprev[t * area + at] = cOld;
      }
    }
  }
}

/**
 * One backward step: the gradient of the gates' pre-activations at step `t` into `dz` ([batch, 4
 * * units]) from dh (the next step's, updated by the caller), dy, and the saved gates; `dc`
 * becomes the previous step's cell gradient.
 */
function backStep(
  dy: Float32Array,
  act: Float32Array,
  tc: Float32Array,
  cprev: Float32Array,
  dz: Float32Array,
  dh: Float32Array,
  dc: Float32Array,
  t: number,
  batch: number,
  units: number,
): void {
  const width = 4 * units;
  const area = batch * units;
  const gate = t * batch * width;
  for (let b = 0; b < batch; b++) {
    const row = b * width;
    for (let q = 0; q < units; q++) {
      const at = b * units + q;
      const i = act[gate + row + q]!;
      const fg = act[gate + row + units + q]!;
      const g = act[gate + row + 2 * units + q]!;
      const o = act[gate + row + 3 * units + q]!;
      const tct = tc[t * area + at]!;
      const dhT = f(dh[at]! + dy[t * area + at]!);
      const dcT = f(dc[at]! + f(f(dhT * o) * f(1 - f(tct * tct))));
      dz[row + q] = f(f(dcT * g) * f(i * f(1 - i)));
      dz[row + units + q] = f(f(dcT * cprev[t * area + at]!) * f(fg * f(1 - fg)));
      dz[row + 2 * units + q] = f(f(dcT * i) * f(1 - f(g * g)));
      dz[row + 3 * units + q] = f(f(dhT * tct) * f(o * f(1 - o)));
      dc[at] = f(dcT * fg);
    }
  }
}

/** `z = x[base : base + z.length] + h` (a small function of its own, which V8 optimizes alone). */
function addRows(z: Float32Array, x: Float32Array, base: number, h: Float32Array): void {
  for (let j = 0; j < z.length; j++) z[j] = x[base + j]! + h[j]!;
}

/** Registers the two kernels for WASM (once); whether they are there. */
export function ensureLstmKernels(): boolean {
  if (tf.getBackend() !== "wasm") return false;
  if (tf.getKernel(LSTM_FORWARD, "wasm") === undefined)
    tf.registerKernel({
      kernelName: LSTM_FORWARD,
      backendName: "wasm",
      kernelFunc: lstmForward as unknown as tf.KernelFunc,
    });
  if (tf.getKernel(LSTM_BACKWARD, "wasm") === undefined)
    tf.registerKernel({
      kernelName: LSTM_BACKWARD,
      backendName: "wasm",
      kernelFunc: lstmBackward as unknown as tf.KernelFunc,
    });
  return true;
}
