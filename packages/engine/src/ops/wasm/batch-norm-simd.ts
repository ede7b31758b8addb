import { type KernelBackend, heapF32, type TensorInfo } from "./composite.js";
import { encodeModule, I32, instantiateOnBackend, op, SIMD, V128, type WasmFunction } from "./wasm-encode.js";

// The loops of the batch-normalization training kernels (./batch-norm-train.ts) as WebAssembly
// SIMD over tfjs-backend-wasm's own memory, channels last with the channels a multiple of 4:
// four channels a vector, so each lane keeps one channel's running sums and coefficients.
// Sums run in float64 (two f64x2 lanes from each f32x4 half), in the JavaScript kernel's order
// (blocks of rows, each channel's block sum added to its total), and each value is computed
// with the same operations: the results equal the JavaScript kernel's bit for bit.
// KERASTORE_WASM_SIMD_BN=0 turns them off (the JavaScript loops run instead).

type Fn = (...args: number[]) => void;

/** The exported loops; addresses are byte offsets in the backend's memory. */
export interface SimdBatchNorm {
  /** (x, 0, rows, c, pivot f64[c], sums f64[2c], block): sums of x - pivot and of its squares. */
  stats: Fn;
  /** (dy, x, rows, c, mean f64[c], sums f64[2c], block): sums of dy and of dy * (x - mean). */
  gradSums: Fn;
  /** (x, y, n, c, a f32[c], t f32[c]): y = x * a + t, in float32. */
  scaleShift: Fn;
  /** (dy, x, dx, n, c, a, b, k f64[c]): dx = a * dy + b * x + k, in float64, rounded once. */
  dx: Fn;
  /** scaleShift, then max(y, 0) (NaN kept): batch normalization followed by a ReLU. */
  scaleShiftRelu: Fn;
}

const { get, set, i32, load, store, simd } = op;
const promoteLow = simd(SIMD.f64x2PromoteLowF32x4);
/**
 * The four float32 at `address` (the bytes of an address) as two f64x2 in locals `lo` and `hi`:
 * two 8-byte loads, each widened (no shuffle).
 */
const widen = (address: number[], lo: number, hi: number) => [
  ...[...address, ...op.load64Zero(0), ...promoteLow, ...set(lo)],
  ...[...address, ...op.load64Zero(8), ...promoteLow, ...set(hi)],
];
/** f32x4.max: NaN if either is NaN, +0 over -0 (relu as tfjs's Relu gives it). */
const F32X4_MAX = 0xe9;
const [ADD, SUB, MUL] = [SIMD.f64x2Add, SIMD.f64x2Sub, SIMD.f64x2Mul].map(simd) as [number[], number[], number[]];

/** The per-channel sums over blocks of rows: forward (`stats`) or backward (`gradSums`). */
function sums(name: "stats" | "gradSums"): WasmFunction {
  const [A, B, N, C, REF, ACC, BLOCK] = [0, 1, 2, 3, 4, 5, 6];
  const [ROW, TOTAL, BLOCKB, R0, R1, G, P, BASE] = [7, 8, 9, 10, 11, 12, 13, 14];
  const [REFLO, REFHI, S1LO, S1HI, S2LO, S2HI, LO, HI, XLO, XHI] = [15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  const addTo = (acc: number, value: number[]) => [...get(acc), ...value, ...ADD, ...set(acc)];
  const row =
    name === "stats"
      ? [
          // d = x - pivot; s += d; q += d * d
          ...widen([...get(A), ...get(P), ...op.i32Add], LO, HI),
          ...[...get(LO), ...get(REFLO), ...SUB, ...set(LO)],
          ...[...get(HI), ...get(REFHI), ...SUB, ...set(HI)],
          ...addTo(S1LO, get(LO)),
          ...addTo(S1HI, get(HI)),
          ...addTo(S2LO, [...get(LO), ...get(LO), ...MUL]),
          ...addTo(S2HI, [...get(HI), ...get(HI), ...MUL]),
        ]
      : [
          // s += dy; t += dy * (x - mean)
          ...widen([...get(A), ...get(P), ...op.i32Add], LO, HI),
          ...widen([...get(B), ...get(P), ...op.i32Add], XLO, XHI),
          ...addTo(S1LO, get(LO)),
          ...addTo(S1HI, get(HI)),
          ...addTo(S2LO, [...get(LO), ...get(XLO), ...get(REFLO), ...SUB, ...MUL]),
          ...addTo(S2HI, [...get(HI), ...get(XHI), ...get(REFHI), ...SUB, ...MUL]),
        ];
  // [address] += value, for the f64x2 at BASE + offset.
  const flush = (offset: number, value: number) => [
    ...get(BASE),
    ...get(BASE),
    ...load(offset),
    ...get(value),
    ...ADD,
    ...store(offset),
  ];
  const group = [
    ...[...get(G), ...get(ROW), ...op.i32GeU, ...op.exitIf],
    ...[...get(REF), ...get(G), ...get(G), ...op.i32Add, ...op.i32Add, ...set(BASE)],
    ...[...get(BASE), ...load(0), ...set(REFLO), ...get(BASE), ...load(16), ...set(REFHI)],
    ...[S1LO, S1HI, S2LO, S2HI].flatMap((l) => [...op.zero, ...set(l)]),
    ...[...get(R0), ...get(G), ...op.i32Add, ...set(P)],
    ...op.loop([
      ...[...get(P), ...get(R1), ...op.i32GeU, ...op.exitIf],
      ...row,
      ...[...get(P), ...get(ROW), ...op.i32Add, ...set(P)],
    ]),
    ...[...get(ACC), ...get(G), ...get(G), ...op.i32Add, ...op.i32Add, ...set(BASE)],
    ...flush(0, S1LO),
    ...flush(16, S1HI),
    // The second sums, 2c f64 further: BASE += 2 * ROW.
    ...[...get(BASE), ...get(ROW), ...get(ROW), ...op.i32Add, ...op.i32Add, ...set(BASE)],
    ...flush(0, S2LO),
    ...flush(16, S2HI),
    ...[...get(G), ...i32(16), ...op.i32Add, ...set(G)],
  ];
  const code = [
    ...[...get(C), ...i32(2), ...op.i32Shl, ...set(ROW)],
    ...[...get(N), ...get(ROW), ...op.i32Mul, ...set(TOTAL)],
    ...[...get(BLOCK), ...get(ROW), ...op.i32Mul, ...set(BLOCKB)],
    ...op.loop([
      ...[...get(R0), ...get(TOTAL), ...op.i32GeU, ...op.exitIf],
      // R1 = min(R0 + BLOCKB, TOTAL)
      ...[...get(TOTAL), ...get(R0), ...get(BLOCKB), ...op.i32Add, ...op.tee(R1)],
      ...[...get(R1), ...get(TOTAL), ...op.i32GtU, ...op.select, ...set(R1)],
      ...[...i32(0), ...set(G)],
      ...op.loop(group),
      ...[...get(R0), ...get(BLOCKB), ...op.i32Add, ...set(R0)],
    ]),
  ];
  return {
    name,
    params: [I32, I32, I32, I32, I32, I32, I32],
    locals: [
      [8, I32],
      [10, V128],
    ],
    code,
  };
}

/** Steps P by a vector and J through one row of coefficients (back to 0 at the row's end). */
function advance(P: number, J: number, ROW: number): number[] {
  return [
    ...[...get(P), ...i32(16), ...op.i32Add, ...set(P)],
    ...[...get(J), ...i32(16), ...op.i32Add, ...set(J)],
    ...[...i32(0), ...get(J), ...get(J), ...get(ROW), ...op.i32Eq, ...op.select, ...set(J)],
  ];
}

function scaleShift(relu: boolean): WasmFunction {
  const [X, Y, N, C, A, T, ROW, TOTAL, P, J] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const at = (base: number, i: number) => [...get(base), ...get(i), ...op.i32Add];
  const code = [
    ...[...get(C), ...i32(2), ...op.i32Shl, ...set(ROW)],
    ...[...get(N), ...i32(2), ...op.i32Shl, ...set(TOTAL)],
    ...op.loop([
      ...[...get(P), ...get(TOTAL), ...op.i32GeU, ...op.exitIf],
      ...at(Y, P),
      ...[...at(X, P), ...load(), ...at(A, J), ...load(), ...simd(SIMD.f32x4Mul)],
      ...[...at(T, J), ...load(), ...simd(SIMD.f32x4Add)],
      ...(relu ? [...op.zero, ...simd(F32X4_MAX)] : []),
      ...store(),
      ...advance(P, J, ROW),
    ]),
  ];
  return {
    name: relu ? "scaleShiftRelu" : "scaleShift",
    params: [I32, I32, I32, I32, I32, I32],
    locals: [[4, I32]],
    code,
  };
}

function dx(): WasmFunction {
  const [DY, X, DX, N, C, A, B, K] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [ROW, TOTAL, P, J, J2] = [8, 9, 10, 11, 12];
  const [LO, HI, XLO, XHI] = [13, 14, 15, 16];
  const at = (base: number, i: number) => [...get(base), ...get(i), ...op.i32Add];
  // (a * dy + b * x) + k for the half at `offset` (0: low channels, 16: high) of the coefficients.
  const half = (dy: number, x: number, offset: number) => [
    ...[...at(A, J2), ...load(offset), ...get(dy), ...MUL],
    ...[...at(B, J2), ...load(offset), ...get(x), ...MUL, ...ADD],
    ...[...at(K, J2), ...load(offset), ...ADD, ...simd(SIMD.f32x4DemoteF64x2Zero)],
  ];
  const code = [
    ...[...get(C), ...i32(2), ...op.i32Shl, ...set(ROW)],
    ...[...get(N), ...i32(2), ...op.i32Shl, ...set(TOTAL)],
    ...op.loop([
      ...[...get(P), ...get(TOTAL), ...op.i32GeU, ...op.exitIf],
      ...widen(at(DY, P), LO, HI),
      ...widen(at(X, P), XLO, XHI),
      ...[...get(J), ...get(J), ...op.i32Add, ...set(J2)],
      ...at(DX, P),
      ...half(LO, XLO, 0),
      ...half(HI, XHI, 16),
      ...op.shuffle([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
      ...store(),
      ...advance(P, J, ROW),
    ]),
  ];
  return {
    name: "dx",
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [
      [5, I32],
      [4, V128],
    ],
    code,
  };
}

/** The SIMD loops on this WASM backend's memory, or null where they cannot run. */
export function simdBatchNorm(backend: object): SimdBatchNorm | null {
  return instantiateOnBackend<SimdBatchNorm>(backend, "batch-norm", "KERASTORE_WASM_SIMD_BN", (limits) =>
    encodeModule([sums("stats"), sums("gradSums"), scaleShift(false), dx(), scaleShift(true)], limits),
  );
}

/** Float64 values per channel a kernel's scratch area holds. */
export const SCRATCH_F64 = 6;

/**
 * Views of a scratch tensor of {@link scratchShape} floats (16-byte aligned): `f64` of
 * SCRATCH_F64 * c values and `f32` over the same bytes, with the address of their start. Take
 * them after the kernel's last allocation.
 */
export function scratchViews(
  backend: KernelBackend,
  scratch: TensorInfo,
  c: number,
): { f64: Float64Array; f32: Float32Array; address: number } {
  const raw = heapF32(backend, scratch);
  const address = raw.byteOffset + ((16 - (raw.byteOffset % 16)) % 16);
  return {
    f64: new Float64Array(raw.buffer, address, SCRATCH_F64 * c),
    f32: new Float32Array(raw.buffer, address, 2 * SCRATCH_F64 * c),
    address,
  };
}

/** The scratch tensor's shape for `c` channels (float32). */
export function scratchShape(c: number): number[] {
  return [2 * SCRATCH_F64 * c + 4];
}
