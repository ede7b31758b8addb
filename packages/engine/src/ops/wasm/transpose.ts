import { type KernelBackend, type TensorInfo, WasmKernelScope } from "./composite.js";
import { encodeModule, F32, I32, instantiateOnBackend, op, SIMD, V128, type WasmFunction } from "./wasm-encode.js";

// Transpose of 4-byte elements (float32, int32) whose permutation swaps two blocks of axes,
// after any leading ones: [R, C] to [C, R], or [B, R, C] to [B, C, R] (axes that move together
// merged, axes of size 1 dropped). This is every transpose a training step of Dense layers makes
// ([256, 512] to [512, 256] costs WASM's kernel ~0.55 ms). The 4 x 4 blocks run as WebAssembly
// SIMD on the backend's memory (four rows loaded, shuffled into four columns, stored), the edges
// in JavaScript. A transpose moves values without arithmetic: the result equals WASM's.
// Other permutations, other dtypes, small tensors, a side under 16 and KERASTORE_WASM_SIMD_TRANSPOSE=0 run
// WASM's own kernel.

interface HeapBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Args = { inputs: { x: TensorInfo }; attrs: { perm: number[] }; backend: KernelBackend };

/** Below this many elements WASM's kernel is as fast (and its call cheaper). */
const SMALL = 1024;
/** Rows of the source a call of the SIMD loop covers (a multiple of 4). */
const TILE = 64;

export interface SimdTranspose {
  /** (src, dst, rows, cols, srcRowBytes, dstRowBytes): the 4 x 4 blocks of rows x cols (multiples of 4). */
  blocks: (...args: number[]) => void;
  /**
   * (src, dst, rows, cols, srcRowBytes, dstRowBytes, bias, lo): the same, each output element
   * max(x + bias[its source row], lo) in float32 (lo 0: relu; -Infinity: the bias alone).
   */
  blocksBias: (...args: number[]) => void;
}

function blocks(withBias: boolean): WasmFunction {
  const { get, set, tee, i32, load, store, shuffle } = op;
  const [SRC, DST, ROWS, COLS, SSTR, DSTR, BIAS, LO] = [0, 1, 2, 3, 4, 5, 6, 7];
  const first = withBias ? 8 : 6;
  const [I, J, SP, DP, A] = [0, 1, 2, 3, 4].map((i) => first + i) as [number, number, number, number, number];
  const [V0, V1, V2, V3, T0, T1, T2, T3, BV, LOV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(
    (i) => first + 5 + i,
  ) as number[];
  // Float lanes of two vectors (0-3 the first, 4-7 the second) as i8x16.shuffle's byte lanes.
  const lanes = (f: number[]) => shuffle(f.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]));
  const mix = (a: number, b: number, f: number[], to: number) => [...get(a), ...get(b), ...lanes(f), ...set(to)];
  const row = (k: number, v: number) =>
    k === 0
      ? [...get(SP), ...tee(A), ...load(0), ...set(v)]
      : [...get(A), ...get(SSTR), ...op.i32Add, ...tee(A), ...load(0), ...set(v)];
  // Output row k of the block holds source rows I..I+3: bias[I..I+3] (BV), then max with LO.
  const finish = withBias ? [...get(BV!), ...op.simd(SIMD.f32x4Add), ...get(LOV!), ...op.simd(F32X4_MAX)] : [];
  const put = (k: number, a: number, b: number, f: number[]) => [
    ...(k === 0 ? [...get(DP), ...tee(A)] : [...get(A), ...get(DSTR), ...op.i32Add, ...tee(A)]),
    ...get(a),
    ...get(b),
    ...lanes(f),
    ...finish,
    ...store(0),
  ];
  const inner = [
    ...[...get(I), ...get(ROWS), ...op.i32GeU, ...op.exitIf],
    ...(withBias ? [...get(BIAS), ...get(I), ...i32(2), ...op.i32Shl, ...op.i32Add, ...load(0), ...set(BV!)] : []),
    ...row(0, V0!),
    ...row(1, V1!),
    ...row(2, V2!),
    ...row(3, V3!),
    ...mix(V0!, V1!, [0, 4, 1, 5], T0!),
    ...mix(V0!, V1!, [2, 6, 3, 7], T1!),
    ...mix(V2!, V3!, [0, 4, 1, 5], T2!),
    ...mix(V2!, V3!, [2, 6, 3, 7], T3!),
    // A walks the output rows now (A = DP, DP + DSTR, ...).
    ...put(0, T0!, T2!, [0, 1, 4, 5]),
    ...put(1, T0!, T2!, [2, 3, 6, 7]),
    ...put(2, T1!, T3!, [0, 1, 4, 5]),
    ...put(3, T1!, T3!, [2, 3, 6, 7]),
    // SP += 4 rows of the source; DP += 4 elements; I += 4.
    ...[...get(SP), ...get(SSTR), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(SP)],
    ...[...get(DP), ...i32(16), ...op.i32Add, ...set(DP)],
    ...[...get(I), ...i32(4), ...op.i32Add, ...set(I)],
  ];
  const code = [
    ...(withBias ? [...get(LO), ...op.simd(SIMD.f32x4Splat), ...set(LOV!)] : []),
    ...op.loop([
      ...[...get(J), ...get(COLS), ...op.i32GeU, ...op.exitIf],
      // SP = SRC + 4J; DP = DST + J * DSTR; I = 0
      ...[...get(SRC), ...get(J), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(SP)],
      ...[...get(DST), ...get(J), ...get(DSTR), ...op.i32Mul, ...op.i32Add, ...set(DP)],
      ...[...i32(0), ...set(I)],
      ...op.loop(inner),
      ...[...get(J), ...i32(4), ...op.i32Add, ...set(J)],
    ]),
  ];
  return {
    name: withBias ? "blocksBias" : "blocks",
    params: withBias ? [I32, I32, I32, I32, I32, I32, I32, F32] : [I32, I32, I32, I32, I32, I32],
    locals: [
      [5, I32],
      [withBias ? 10 : 8, V128],
    ],
    code,
  };
}

const F32X4_MAX = 0xe9;

function encode(memoryLimits: number[]): Uint8Array {
  return encodeModule([blocks(false), blocks(true)], memoryLimits);
}

/**
 * The transpose as [batch, rows, cols] to [batch, cols, rows], or null when the permutation is
 * not one (after merging axes that stay together and dropping axes of size 1).
 */
export function asBatchedSwap(shape: readonly number[], perm: readonly number[]): [number, number, number] | null {
  const keep = perm.filter((a) => shape[a] !== 1);
  const rank = new Map([...keep].sort((a, b) => a - b).map((a, i) => [a, i]));
  const p = keep.map((a) => rank.get(a)!);
  const dims = [...keep].sort((a, b) => a - b).map((a) => shape[a]!);
  // Runs of consecutive axes in the output order become one axis.
  const groups: number[][] = [];
  for (const a of p) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[last.length - 1]! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const size = (g: number[]) => g.reduce((n, a) => n * dims[a]!, 1);
  if (groups.length === 1) return [1, 1, size(groups[0]!)];
  const lead = groups.length === 3 && groups[0]![0] === 0 ? groups[0]! : undefined;
  const [g1, g2] = lead === undefined ? groups : groups.slice(1);
  if (groups.length > (lead === undefined ? 2 : 3) || g1 === undefined || g2 === undefined) return null;
  // Output order g1, g2 must be input order g2, g1.
  if (g2[g2.length - 1]! + 1 !== g1[0]) return null;
  return [lead === undefined ? 1 : size(lead), size(g2), size(g1)];
}

/** The SIMD loop on this backend, or null where it cannot run (WASM's kernel runs then). */
export function simdTranspose(backend: object): SimdTranspose | null {
  return instantiateOnBackend<SimdTranspose>(backend, "transpose", "KERASTORE_WASM_SIMD_TRANSPOSE", encode);
}

export function transpose({ inputs, attrs, backend }: Args): TensorInfo {
  const { x } = inputs;
  const n = x.shape.reduce((a, d) => a * d, 1);
  const swap = x.dtype === "float32" || x.dtype === "int32" ? asBatchedSwap(x.shape, attrs.perm) : null;
  // A side under 16 is mostly edges: WASM's kernel is faster there.
  const wide = swap !== null && n >= SMALL && (Math.min(swap[1], swap[2]) >= 16 || Math.max(swap[1], swap[2]) === n);
  const simd = wide ? simdTranspose(backend) : null;
  if (swap === null || simd === null) return new WasmKernelScope(backend).run("Transpose", inputs, attrs, true);
  const heap = backend as HeapBackend;
  const out = heap.makeOutput(
    attrs.perm.map((a) => x.shape[a]!),
    x.dtype,
  );
  // Int32 views for both dtypes: values copied as bits (a float32 NaN keeps its payload).
  const asInt = (a: Float32Array | Int32Array | Uint8Array) => new Int32Array(a.buffer, a.byteOffset, a.length);
  const src = asInt(heap.typedArrayFromHeap(x));
  const dst = asInt(heap.typedArrayFromHeap(out));
  const [batch, rows, cols] = swap;
  if (rows === 1 || cols === 1) {
    dst.set(src);
    return out;
  }
  const r4 = rows - (rows % 4);
  const c4 = cols - (cols % 4);
  for (let b = 0, o = 0; b < batch; b++, o += rows * cols) {
    // Bands of TILE rows: the source lines a band reads stay in the first-level cache while
    // its columns are walked.
    for (let r = 0; r < r4 && c4 > 0; r += TILE) {
      const at = o + r * cols;
      simd.blocks(
        src.byteOffset + 4 * at,
        dst.byteOffset + 4 * (o + r),
        Math.min(TILE, r4 - r),
        c4,
        4 * cols,
        4 * rows,
      );
    }
    // The edges: columns past c4 (every row), rows past r4 (the first c4 columns).
    for (let i = 0; i < rows; i++) for (let j = c4; j < cols; j++) dst[o + j * rows + i] = src[o + i * cols + j]!;
    for (let i = r4; i < rows; i++) for (let j = 0; j < c4; j++) dst[o + j * rows + i] = src[o + i * cols + j]!;
  }
  return out;
}
