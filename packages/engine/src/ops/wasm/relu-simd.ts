import { encodeModule, I32, instantiateOnBackend, op, SIMD, V128, type WasmFunction } from "./wasm-encode.js";

// The ReLU's training loops as WebAssembly SIMD over tfjs-backend-wasm's memory (./relu-train.ts
// runs them): the gradient `dx = dy * step(t)` in one pass where tfjs runs two (Step, then
// Multiply), and Add followed by ReLU in one pass. Each value is what tfjs's ops compute:
// step(t) is 1 above zero, 0 at or below it (-0 included) and NaN where t is NaN, so dy times it
// gives dy, a zero of dy's sign, or NaN (dy infinite against a zero step, or t NaN); except that
// a gradient under 2^-100 in magnitude is set to a zero of its sign (./subnormal.ts). NaN stays
// NaN (unlike a `>=` test, a `<` test is false for NaN). The batch-normalization loops
// (./batch-norm-simd.ts) take the gradient through a following ReLU with the same code.
// KERASTORE_WASM_SIMD_RELU=0 turns them off (JavaScript loops run instead).

const { get, set, simd } = op;

/** SIMD opcodes these loops add to ./wasm-encode.ts's list. */
export const SIMD_MORE = {
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  v128AndNot: 0x4f,
  v128Or: 0x50,
  f32x4Abs: 0xe0,
  f32x4Max: 0xe9,
} as const;

/** Locals of the constants the masked gradient needs, splat: 1, 2^-100 and -0 (the sign bit). */
export interface MaskConstants {
  one: number;
  min: number;
  sign: number;
}

/** Sets the constants' locals (at a function's start). */
export function maskConstants(c: MaskConstants): number[] {
  const splat = (bytes: number[], local: number) => [0x43, ...bytes, ...simd(SIMD.f32x4Splat), ...set(local)];
  return [
    ...splat([0, 0, 0x80, 0x3f], c.one), // 1.0
    ...splat([0, 0, 0x80, 0x0d], c.min), // 2^-100 (GRADIENT_FLUSH_BELOW)
    ...splat([0, 0, 0, 0x80], c.sign), // -0
  ];
}

/**
 * Leaves in local `d` the flushed `dy * step(t)`, from locals `dy` (the gradient) and `t` (the
 * ReLU's input, or its output: relu keeps the sign and NaN). dy is flushed first, with bit
 * operations, then multiplied by the step (1, 0, or NaN where t is NaN): the same values as
 * flushing the product (dy * 1 is dy, dy * 0 a zero of dy's sign or NaN), but no product
 * reads a subnormal dy, which takes the processor's slow path (a pass over a [32,32,32,32] map
 * of them: 8.7 ms, against 0.5).
 */
export function maskedGradient(dy: number, t: number, d: number, c: MaskConstants): number[] {
  const S = SIMD_MORE;
  return [
    // Where |dy| < 2^-100, clear every bit but the sign.
    ...[...get(dy), ...get(dy), ...simd(S.f32x4Abs), ...get(c.min), ...simd(S.f32x4Lt), ...get(c.sign)],
    ...[...simd(S.v128AndNot), ...simd(S.v128AndNot)],
    // Times (t > 0 ? 1 : 0), with t's bits ORed in where t is NaN (a NaN OR anything is a NaN).
    ...[...get(t), ...op.zero, ...simd(S.f32x4Gt), ...get(c.one), ...simd(S.v128And)],
    ...[...get(t), ...get(t), ...simd(S.f32x4Ne), ...get(t), ...simd(S.v128And), ...simd(S.v128Or)],
    ...[...simd(SIMD.f32x4Mul), ...set(d)],
  ];
}

/** (dy, t, dx, bytes): dx = flushed dy * step(t), over `bytes` (a multiple of 16). */
function grad(): WasmFunction {
  const [DY, T, DX, BYTES, P] = [0, 1, 2, 3, 4];
  const [TV, DYV, D, ONE, MIN, SIGN] = [5, 6, 7, 8, 9, 10];
  const c = { one: ONE, min: MIN, sign: SIGN };
  const at = (base: number) => [...get(base), ...get(P), ...op.i32Add];
  const code = [
    ...maskConstants(c),
    ...op.loop([
      ...[...get(P), ...get(BYTES), ...op.i32GeU, ...op.exitIf],
      ...[...at(T), ...op.load(), ...set(TV)],
      ...[...at(DY), ...op.load(), ...set(DYV)],
      ...maskedGradient(DYV, TV, D, c),
      ...[...at(DX), ...get(D), ...op.store()],
      ...[...get(P), ...op.i32(16), ...op.i32Add, ...set(P)],
    ]),
  ];
  return {
    name: "grad",
    params: [I32, I32, I32, I32],
    locals: [
      [1, I32],
      [6, V128],
    ],
    code,
  };
}

/** (a, b, y, bytes): y = max(a + b, 0) (NaN kept), over `bytes` (a multiple of 16). */
function addRelu(): WasmFunction {
  const [A, B, Y, BYTES, P] = [0, 1, 2, 3, 4];
  const at = (base: number) => [...get(base), ...get(P), ...op.i32Add];
  const code = op.loop([
    ...[...get(P), ...get(BYTES), ...op.i32GeU, ...op.exitIf],
    ...at(Y),
    ...[...at(A), ...op.load(), ...at(B), ...op.load(), ...simd(SIMD.f32x4Add)],
    ...[...op.zero, ...simd(SIMD_MORE.f32x4Max), ...op.store()],
    ...[...get(P), ...op.i32(16), ...op.i32Add, ...set(P)],
  ]);
  return { name: "addRelu", params: [I32, I32, I32, I32], locals: [[1, I32]], code };
}

/** The exported loops; addresses are byte offsets in the backend's memory. */
export interface SimdRelu {
  grad: (dy: number, t: number, dx: number, bytes: number) => void;
  addRelu: (a: number, b: number, y: number, bytes: number) => void;
}

/** The module's name on the backend (./kernel-pool.ts runs its parts by it). */
export const RELU_MODULE = "relu-train";

/** The SIMD loops on this WASM backend's memory, or null where they cannot run. */
export function simdRelu(backend: object): SimdRelu | null {
  return instantiateOnBackend<SimdRelu>(backend, RELU_MODULE, "KERASTORE_WASM_SIMD_RELU", (limits) =>
    encodeModule([grad(), addRelu()], limits),
  );
}
