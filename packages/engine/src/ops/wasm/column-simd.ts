import { encodeModule, I32, instantiateOnBackend, op, SIMD } from "./wasm-encode.js";

// Column sums of a row-major [rows, c] float32 matrix as WebAssembly SIMD on the backend's
// memory, four columns a vector, rows in order: each column's sum is accumulated in float32 row
// after row, the order of the JavaScript loop of ./column-reduce.ts (the same bits). Used by
// the Sum over leading axes (bias gradients). The columns past the last multiple of 4 are left
// to the caller. KERASTORE_WASM_SIMD_COLUMNS=0 turns it off.

type Fn = (...args: number[]) => void;

/** The exported loop; addresses are byte offsets in the backend's memory. */
export interface SimdColumns {
  /** (src, acc, rows, rowBytes, c4Bytes): acc[j] += src[r][j] for each row r in order, j < c4. */
  colsum: Fn;
}

const { get, set, i32, load, store, simd } = op;

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
  return encodeModule([colsum], memoryLimits);
}

/** The SIMD column sums on this WASM backend's memory, or null where they cannot run. */
export function simdColumns(backend: object): SimdColumns | null {
  return instantiateOnBackend<SimdColumns>(backend, "columns", "KERASTORE_WASM_SIMD_COLUMNS", encode);
}
