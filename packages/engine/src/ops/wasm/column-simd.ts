import { encodeModule, I32, instantiateOnBackend, op, SIMD, V128 } from "./wasm-encode.js";

// Column loops over a row-major [rows, c] float32 matrix as WebAssembly SIMD on the backend's
// memory, four columns a vector, rows in order: each column's sum is accumulated in float32 row
// after row, the order of the JavaScript loop of ./column-reduce.ts (the same bits). Used by
// the Sum over leading axes (a bias gradient) and by Dense's relu gradient (./dense-grad.ts).
// The columns past the last multiple of 4 are left to the caller. KERASTORE_WASM_SIMD_COLUMNS=0
// turns them off.

type Fn = (...args: number[]) => void;

/** The exported loops; addresses are byte offsets in the backend's memory. */
export interface SimdColumns {
  /** (src, acc, rows, rowBytes, c4Bytes): acc[j] += src[r][j] for each row r in order, j < c4. */
  colsum: Fn;
  /**
   * (dy, y, dz, acc, rows, rowBytes, c4Bytes): dz = dy * step(y) (1 where y > 0, 0 elsewhere, NaN
   * where y is NaN, as WASM's Step), and acc[j] += dz[r][j] row after row, j < c4.
   */
  reluGrad: Fn;
}

const { get, set, i32, load, store, simd } = op;
const F32X4_NE = 0x42;
const F32X4_GT = 0x44;
const V128_AND = 0x4e;
const V128_BITSELECT = 0x52;

/** Loops `body` over rows (R) and the row's first C4B bytes (J, by 16), with RB = R * ROWB. */
function rowsAndColumns(
  rows: number,
  rowBytes: number,
  c4Bytes: number,
  [R, J, RB]: [number, number, number],
  body: number[],
): number[] {
  return op.loop([
    ...[...get(R), ...get(rows), ...op.i32GeU, ...op.exitIf],
    ...[...get(R), ...get(rowBytes), ...op.i32Mul, ...set(RB)],
    ...[...i32(0), ...set(J)],
    ...op.loop([
      ...[...get(J), ...get(c4Bytes), ...op.i32GeU, ...op.exitIf],
      ...body,
      ...[...get(J), ...i32(16), ...op.i32Add, ...set(J)],
    ]),
    ...[...get(R), ...i32(1), ...op.i32Add, ...set(R)],
  ]);
}

/** acc[J] += value (a v128 left on the stack by `value`). */
const accumulate = (ACC: number, J: number, value: number[]) => [
  ...[...get(ACC), ...get(J), ...op.i32Add],
  ...[...get(ACC), ...get(J), ...op.i32Add, ...load(0)],
  ...value,
  ...simd(SIMD.f32x4Add),
  ...store(0),
];

function encode(memoryLimits: number[]): Uint8Array {
  // colsum(src, acc, rows, rowBytes, c4Bytes); locals R, J, RB.
  const colsum = (() => {
    const [SRC, ACC, ROWS, ROWB, C4B, R, J, RB] = [0, 1, 2, 3, 4, 5, 6, 7];
    const code = rowsAndColumns(
      ROWS,
      ROWB,
      C4B,
      [R, J, RB],
      [...accumulate(ACC, J, [...get(SRC), ...get(RB), ...op.i32Add, ...get(J), ...op.i32Add, ...load(0)])],
    );
    return { name: "colsum", params: [I32, I32, I32, I32, I32], locals: [[3, I32]] as [number, number][], code };
  })();
  // reluGrad(dy, y, dz, acc, rows, rowBytes, c4Bytes); locals R, J, RB, O; v128 Y, D, ONE.
  const reluGrad = (() => {
    const [DY, Y, DZ, ACC, ROWS, ROWB, C4B, R, J, RB, O, YV, D, ONE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
    const at = (base: number) => [...get(base), ...get(O), ...op.i32Add];
    const body = [
      ...[...get(RB), ...get(J), ...op.i32Add, ...set(O)],
      ...[...at(Y), ...load(0), ...set(YV)],
      // step(y): bitselect(y, (y > 0) & 1.0, y != y)
      ...get(YV),
      ...[...get(YV), ...op.zero, ...simd(F32X4_GT), ...get(ONE), ...simd(V128_AND)],
      ...[...get(YV), ...get(YV), ...simd(F32X4_NE)],
      ...simd(V128_BITSELECT),
      ...[...at(DY), ...load(0), ...simd(SIMD.f32x4Mul), ...set(D)],
      ...[...at(DZ), ...get(D), ...store(0)],
      ...accumulate(ACC, J, get(D)),
    ];
    const code = [
      ...[0x43, 0x00, 0x00, 0x80, 0x3f], // f32.const 1.0
      ...simd(SIMD.f32x4Splat),
      ...set(ONE),
      ...rowsAndColumns(ROWS, ROWB, C4B, [R, J, RB], body),
    ];
    return {
      name: "reluGrad",
      params: [I32, I32, I32, I32, I32, I32, I32],
      locals: [
        [4, I32],
        [3, V128],
      ] as [number, number][],
      code,
    };
  })();
  return encodeModule([colsum, reluGrad], memoryLimits);
}

/** The SIMD column loops on this WASM backend's memory, or null where they cannot run. */
export function simdColumns(backend: object): SimdColumns | null {
  return instantiateOnBackend<SimdColumns>(backend, "columns", "KERASTORE_WASM_SIMD_COLUMNS", encode);
}
