import { gemmFunction } from "./gemm-simd.js";
import { encodeModule, I32, instantiateOnBackend, op, SIMD, V128, type WasmFunction } from "./wasm-encode.js";

// The WebAssembly module of ./conv-gemm.ts: our product (./gemm-simd.ts's function, the same
// bits), the output pass (bias, ReLU), and one entry point `part(what, ...args)` that calls
// one of them, so that a part of a convolution run by one thread of the kernel pool
// (./kernel-pool.ts) multiplies and writes its images' outputs in one go.

export const CONV_GEMM_MODULE = "conv-gemm";
/** Arguments of `part`: what to run ({@link PartKind}), then up to 11 of its arguments. */
export const PART_ARITY = 12;

/** What a call of `part` runs: its first argument. */
export const PartKind = {
  /** gemm-simd's `gemm` (11 arguments). */
  gemm: 0,
  /** (c, out, bias, lines, lineBytes, nBytes, cPitch, outPitch): see {@link outPass}. */
  plain: 1,
  bias: 2,
  biasRelu: 3,
} as const;

const { get, set, i32, load, store, simd, loop, exitIf } = op;
const add = op.i32Add;

/**
 * For `lines` lines (cPitch bytes apart in c, outPitch in out) of lineBytes bytes each (a
 * multiple of nBytes, itself of 16): out = c (+ bias, its nBytes bytes repeating) (max 0:
 * f32x4.max, NaN stays NaN).
 */
function outPass(name: string, bias: boolean, relu: boolean): WasmFunction {
  const [CB, OUT, BIAS, LINES, LINE, NB, CP, OP] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [L, S, D, END, J] = [8, 9, 10, 11, 12];
  const V = 13;
  const value = [
    ...get(S),
    ...load(),
    ...(bias ? [...get(BIAS), ...get(J), ...add, ...load(), ...simd(SIMD.f32x4Add)] : []),
    ...(relu ? [...op.zero, ...simd(0xe9)] : []), // f32x4.max
    ...set(V),
  ];
  const code = loop([
    ...[...get(L), ...get(LINES), ...op.i32GeU, ...exitIf],
    ...[...get(CB), ...get(L), ...get(CP), ...op.i32Mul, ...add, ...set(S)],
    ...[...get(OUT), ...get(L), ...get(OP), ...op.i32Mul, ...add, ...set(D)],
    ...[...get(S), ...get(LINE), ...add, ...set(END)],
    ...loop([
      ...[...get(S), ...get(END), ...op.i32GeU, ...exitIf],
      ...[...i32(0), ...set(J)],
      ...loop([
        ...[...get(J), ...get(NB), ...op.i32GeU, ...exitIf],
        ...value,
        ...[...get(D), ...get(V), ...store()],
        ...[...get(S), ...i32(16), ...add, ...set(S)],
        ...[...get(D), ...i32(16), ...add, ...set(D)],
        ...[...get(J), ...i32(16), ...add, ...set(J)],
      ]),
    ]),
    ...[...get(L), ...i32(1), ...add, ...set(L)],
  ]);
  return {
    name,
    params: new Array<number>(8).fill(I32),
    locals: [
      [5, I32],
      [1, V128],
    ],
    code,
  };
}

/** `part(what, a0..a10)`: calls function `what` (its index in the module) with its arguments. */
function part(arities: number[]): WasmFunction {
  const code: number[] = [];
  arities.forEach((n, fn) => {
    const args = Array.from({ length: n }, (_, i) => get(1 + i)).flat();
    // if (what == fn) { fn(args); return }
    code.push(...get(0), ...i32(fn), ...op.i32Eq, 0x04, 0x40, ...args, 0x10, fn, 0x0f, 0x0b);
  });
  return { name: "part", params: new Array<number>(PART_ARITY).fill(I32), locals: [], code };
}

/** The module's exports on `backend`'s memory (only `part` is called), or null where it cannot run. */
export function convGemmModule(backend: object): { part: (...args: number[]) => void } | null {
  return instantiateOnBackend(backend, CONV_GEMM_MODULE, "KERASTORE_WASM_SIMD_CONV", (limits) => {
    // In PartKind's order.
    const functions = [
      gemmFunction(),
      outPass("plain", false, false),
      outPass("bias", true, false),
      outPass("biasRelu", true, true),
    ];
    return encodeModule([...functions, part(functions.map((f) => f.params.length))], limits);
  });
}
