import { cannot } from "@kerastore/core";
import { EngineError } from "../../errors.js";
import { kernelParts, poolThreads, runPartCalls } from "./kernel-pool.js";
import {
  encodeModule,
  envVar,
  F32,
  I32,
  instantiateOnBackend,
  leb,
  op,
  relaxedSimd,
  SIMD,
  V128,
  type WasmFunction,
} from "./wasm-encode.js";

// A float32 matrix product of our own, C = A · B, as a WebAssembly SIMD loop on tfjs-backend-wasm's
// memory, reading B in its natural row-major [K, N] layout. XNNPACK's fully-connected operator
// first packs its second operand (single-threaded, ~0.4-1.2 ms for the filter gradient's
// [grid positions, outC] operand) and tfjs keeps that packing only while the same tensor is used:
// the filter gradient (./conv-filter-grad.ts) makes a new operand every step and uses it for three
// products. Here nothing is packed.
//
// Tiles of 4 x 8 outputs (4 f32x4 pairs of accumulators; per k: two vector loads of B's row k,
// one splat load of A per row, then a multiply and an add per accumulator) fit x64's 16 xmm
// registers as V8 allocates them; the last columns go by 4 and then one at a time (scalar), the
// last rows one at a time. K is summed in blocks (a block's A rows stay in L1 while its B panel is
// read from L2, once per row tile), a block's partial sums carried in C to the next. A float32
// store and load are exact, so every output is the plain sum over k in order (a multiply, then
// an add) whatever the blocks, the tiles or the rows a call covers: calls over disjoint row
// ranges (one per thread) give the same bits as one call over all of them, and the same bits as
// XNNPACK's f32 product, which sums the same way (./conv-filter-grad-gemm.test.ts).
// KERASTORE_WASM_SIMD_GEMM=0 turns it off.

type Fn = (...args: number[]) => void;

interface GemmExports {
  /**
   * (a, lda, b, ldb, c, ldc, rows, k, n, kc, ablk): C[rows, n] = A[rows, k] · B[k, n]. a, b, c:
   * byte addresses of element (0, 0); lda, ldb, ldc: row pitches in bytes (multiples of 4); kc:
   * the K block length; ablk: bytes from one K block of A's rows to the next (kc * 4 for a plain
   * matrix; a convolution's rows of taps lie further apart, ./conv-gemm.ts). k and kc at least 1
   * (with k = 0, C would be left as it was).
   */
  gemm: Fn;
}

/**
 * Rows of the main tile (4 rows x 8 columns: 8 accumulators, 2 B vectors, 1 A splat, 1 product).
 * Measured on one thread (Node 20, x64), filter-gradient shapes: 4 rows 20-22 GMAC/s, 3 rows 18-20,
 * 5 and 6 rows 16-18 (V8 runs out of registers); k steps unrolled by 2 or 4 (one A pointer
 * update per unrolled step) were slower, 16-19 GMAC/s.
 */
const TILE_ROWS = 4;
/**
 * The K block length (values). One thread, 4x8 tiles: 1024 and 2048 alike (20-22 GMAC/s), 512
 * 2-10% slower, 256 slower still, no blocking 1.3-2.6x slower (B read from memory per row tile).
 */
export const GEMM_K_BLOCK = 1024;

const { get, set, tee, i32, load, store, loop, exitIf } = op;
const add = op.i32Add;
const mul = op.i32Mul;
const sub = [0x6b];
const i32LtU = [0x49];
const i32Eqz = [0x45];
const fadd = op.simd(SIMD.f32x4Add);
const fmul = op.simd(SIMD.f32x4Mul);
const fmadd = op.simd(SIMD.f32x4RelaxedMadd);
/** v128.load32_splat of [address on the stack + offset]. */
const splat = (offset = 0) => [0xfd, 0x09, 2, ...leb(offset)];
const f32Load = (offset = 0) => [0x2a, 2, ...leb(offset)];
const f32Store = (offset = 0) => [0x38, 2, ...leb(offset)];
const f32Add = [0x92];
const f32Mul = [0x94];
const f32Zero = [0x43, 0, 0, 0, 0];
/** if (i32 on the stack) then `yes` else `no` (no result). */
const ifElse = (yes: number[], no: number[]) => [0x04, 0x40, ...yes, 0x05, ...no, 0x0b];

// Parameters.
const [A, LDA, B, LDB, C, LDC, ROWS, K, N, KC, ABLK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
// i32 locals (AOFF: the K block's byte offset in A's rows).
const [K0, KL, R, J, PB, PC, END, AOFF] = [11, 12, 13, 14, 15, 16, 17, 18];
const PA = [19, 20, 21, 22]; // A row pointers of a tile
const I32_LOCALS = 12;
// v128 locals, then f32 locals.
const V0 = 11 + I32_LOCALS;
const ACC = Array.from({ length: 2 * TILE_ROWS }, (_, i) => V0 + i);
const [BV0, BV1, AV] = [V0 + 2 * TILE_ROWS, V0 + 2 * TILE_ROWS + 1, V0 + 2 * TILE_ROWS + 2];
const V128_LOCALS = 2 * TILE_ROWS + 3;
const F0 = V0 + V128_LOCALS;
const SACC = Array.from({ length: TILE_ROWS }, (_, i) => F0 + i);
const SB = F0 + TILE_ROWS;
const F32_LOCALS = TILE_ROWS + 1;

/** `body` while the i32 expression `cond` holds (tested first). */
const whileTrue = (cond: number[], body: number[]) => loop([...cond, ...i32Eqz, ...exitIf, ...body]);

/**
 * One tile of `rows` rows (row R on) by `width` columns (8, 4 or 1; column J on) over the
 * K block [K0, K0 + KL): accumulators start at zero (first block) or at C, and end in C.
 */
function tile(rows: number, width: 8 | 4 | 1, fused: boolean): number[] {
  const vecs = width === 8 ? 2 : 1;
  const scalar = width === 1;
  const acc = (r: number, v: number) => (scalar ? SACC[r]! : ACC[r * 2 + v]!);
  const cAt = (r: number) => [...get(PC), ...(r === 0 ? [] : [...get(LDC), ...i32(r), ...mul, ...add])];
  const init: number[] = [];
  const fromC: number[] = [];
  const store_: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let v = 0; v < vecs; v++) {
      init.push(...(scalar ? f32Zero : op.zero), ...set(acc(r, v)));
      fromC.push(...cAt(r), ...(scalar ? f32Load(16 * v) : load(16 * v)), ...set(acc(r, v)));
      store_.push(...cAt(r), ...get(acc(r, v)), ...(scalar ? f32Store(16 * v) : store(16 * v)));
    }
  // One k step: A's values at the row pointers, B's row at PB.
  const step = () => {
    const code: number[] = [];
    if (scalar) code.push(...get(PB), ...f32Load(), ...set(SB));
    else for (let v = 0; v < vecs; v++) code.push(...get(PB), ...load(16 * v), ...set(v === 0 ? BV0 : BV1));
    for (let r = 0; r < rows; r++) {
      if (scalar) {
        code.push(...get(acc(r, 0)), ...get(PA[r]!), ...f32Load(), ...get(SB), ...f32Mul, ...f32Add);
        code.push(...set(acc(r, 0)));
        continue;
      }
      code.push(...get(PA[r]!), ...splat(), ...set(AV));
      for (let v = 0; v < vecs; v++)
        code.push(
          ...(fused
            ? [...get(AV), ...get(v === 0 ? BV0 : BV1), ...get(acc(r, v)), ...fmadd]
            : [...get(acc(r, v)), ...get(AV), ...get(v === 0 ? BV0 : BV1), ...fmul, ...fadd]),
          ...set(acc(r, v)),
        );
    }
    code.push(...get(PB), ...get(LDB), ...add, ...set(PB));
    return code;
  };
  const advance = PA.slice(0, rows).flatMap((p) => [...get(p), ...i32(4), ...add, ...set(p)]);
  return [
    // Pointers: A rows R.. at the block's offset, B row K0 at column J, C row R at column J.
    ...[...get(A), ...get(R), ...get(LDA), ...mul, ...add, ...get(AOFF), ...add, ...set(PA[0]!)],
    ...PA.slice(1, rows).flatMap((p, i) => [...get(PA[i]!), ...get(LDA), ...add, ...set(p)]),
    ...[...get(B), ...get(K0), ...get(LDB), ...mul, ...add, ...get(J), ...i32(4), ...mul, ...add, ...set(PB)],
    ...[...get(C), ...get(R), ...get(LDC), ...mul, ...add, ...get(J), ...i32(4), ...mul, ...add, ...set(PC)],
    ...[...get(PA[0]!), ...get(KL), ...i32(4), ...mul, ...add, ...set(END)],
    ...[...get(K0), ...i32Eqz, ...ifElse(init, fromC)],
    ...whileTrue([...get(PA[0]!), ...get(END), ...i32LtU], [...step(), ...advance]),
    ...store_,
  ];
}

/** The tiles of rows R .. R + rows - 1 over every column. */
function columns(rows: number, fused: boolean): number[] {
  const next = (n: number) => [...get(J), ...i32(n), ...add, ...set(J)];
  return [
    ...[...i32(0), ...set(J)],
    ...whileTrue(
      [...get(J), ...i32(8), ...add, ...get(N), ...op.i32GtU, ...i32Eqz],
      [...tile(rows, 8, fused), ...next(8)],
    ),
    ...[...get(J), ...i32(4), ...add, ...get(N), ...op.i32GtU, ...i32Eqz],
    ...[0x04, 0x40, ...tile(rows, 4, fused), ...next(4), 0x0b],
    ...whileTrue([...get(J), ...get(N), ...i32LtU], [...tile(rows, 1, fused), ...next(1)]),
  ];
}

/** The product as a function of a module (named "gemm"; ./conv-gemm.ts puts it in its own). */
export function gemmFunction(fused = relaxedSimd()): WasmFunction {
  const code = [
    ...[...i32(0), ...set(K0), ...i32(0), ...set(AOFF)],
    ...whileTrue(
      [...get(K0), ...get(K), ...i32LtU],
      [
        // KL = min(KC, K - K0)
        ...[...get(KC), ...get(K), ...get(K0), ...sub, ...tee(KL), ...get(KC), ...get(KL), ...i32LtU, ...op.select],
        ...set(KL),
        ...[...i32(0), ...set(R)],
        ...whileTrue(
          [...get(R), ...i32(TILE_ROWS), ...add, ...get(ROWS), ...op.i32GtU, ...i32Eqz],
          [...columns(TILE_ROWS, fused), ...[...get(R), ...i32(TILE_ROWS), ...add, ...set(R)]],
        ),
        ...whileTrue(
          [...get(R), ...get(ROWS), ...i32LtU],
          [...columns(1, fused), ...[...get(R), ...i32(1), ...add, ...set(R)]],
        ),
        ...[...get(K0), ...get(KL), ...add, ...set(K0)],
        ...[...get(AOFF), ...get(ABLK), ...add, ...set(AOFF)],
      ],
    ),
  ];
  return {
    name: "gemm",
    params: new Array<number>(GEMM_ARITY).fill(I32),
    locals: [
      [I32_LOCALS, I32],
      [V128_LOCALS, V128],
      [F32_LOCALS, F32],
    ],
    code,
  };
}

/** The module's exports on `backend`'s memory, or null where it cannot run (see instantiateOnBackend). */
export function gemmSimd(backend: object): GemmExports | null {
  return instantiateOnBackend<GemmExports>(backend, "gemm-simd", "KERASTORE_WASM_SIMD_GEMM", (limits) =>
    encodeModule([gemmFunction()], limits),
  );
}

/** Where a matrix lies in the backend's memory: byte address of element (0, 0) and row pitch in values. */
export interface MatrixAt {
  at: number;
  stride: number;
}

/** Arguments per call of the module's `gemm` (see {@link gemmCall}). */
export const GEMM_ARITY = 11;

/**
 * The arguments of one call of the module's `gemm` for C[rows, n] = A[rows, k] · B[k, n]: a
 * flat list of calls ({@link GEMM_ARITY} numbers each) is what {@link runGemmCalls} runs and
 * {@link splitGemmCalls} splits.
 */
export function gemmCall(
  a: MatrixAt,
  b: MatrixAt,
  c: MatrixAt,
  [rows, k, n]: [number, number, number],
  kBlock = GEMM_K_BLOCK,
  aBlock = kBlock,
): number[] {
  if (!(k >= 1 && kBlock >= 1))
    throw new EngineError(
      "invalid-argument",
      cannot("multiply", "matrices", `k and its block must be at least 1, not ${k} and ${kBlock}`),
    );
  return [a.at, a.stride * 4, b.at, b.stride * 4, c.at, c.stride * 4, rows, k, n, kBlock, aBlock * 4];
}

/** Multiply-adds per part at least when a product is split across the kernel pool's threads. */
const GEMM_PART = 1 << 21;

/**
 * Runs `calls` ({@link gemmCall}'s, one after the other; the module must exist on `backend`):
 * split by rows across the kernel pool's threads (./kernel-pool.ts) where there is one and the
 * work is large enough, else on the calling thread. The same bits either way.
 */
export function runGemmCalls(backend: object, calls: readonly number[]): void {
  let work = 0;
  for (let i = 0; i < calls.length; i += GEMM_ARITY) work += calls[i + 6]! * calls[i + 7]! * calls[i + 8]!;
  const parts = kernelParts(backend, work, GEMM_PART);
  if (parts > 1) {
    runPartCalls(backend, "gemm-simd", "gemm", GEMM_ARITY, splitGemmCalls(calls, parts));
    return;
  }
  const gemm = gemmSimd(backend)!.gemm;
  for (let i = 0; i < calls.length; i += GEMM_ARITY)
    gemm(
      calls[i]!,
      calls[i + 1]!,
      calls[i + 2]!,
      calls[i + 3]!,
      calls[i + 4]!,
      calls[i + 5]!,
      calls[i + 6]!,
      calls[i + 7]!,
      calls[i + 8]!,
      calls[i + 9]!,
      calls[i + 10]!,
    );
}

/**
 * `calls` ({@link gemmCall}'s) as `parts` lists of calls over disjoint rows, for as many threads:
 * each call's rows in contiguous ranges of whole tiles (4 rows), as even as that allows (a part
 * may get none of a call's rows). Every output keeps its sum order: the parts' results are the
 * same bits as the calls'.
 */
export function splitGemmCalls(calls: readonly number[], parts: number): number[][] {
  const out: number[][] = Array.from({ length: parts }, () => []);
  for (let i = 0; i < calls.length; i += GEMM_ARITY) {
    const [a, lda, b, ldb, c, ldc, rows, k, n, kc, ablk] = calls.slice(i, i + GEMM_ARITY) as number[];
    const tiles = Math.ceil(rows! / TILE_ROWS);
    for (let p = 0, done = 0; p < parts; p++) {
      const end = Math.min(rows!, Math.round((tiles * (p + 1)) / parts) * TILE_ROWS);
      if (end > done)
        out[p]!.push(a! + done * lda!, lda!, b!, ldb!, c! + done * ldc!, ldc!, end - done, k!, n!, kc!, ablk!);
      done = Math.max(done, end);
    }
  }
  return out;
}

/**
 * Whether the filter gradient's products should run here rather than on XNNPACK: the module
 * exists and runs on as many threads as XNNPACK (the kernel pool's, or one; ours on one thread:
 * 20-22 GMAC/s, no packing; XNNPACK's: 15-17 GMAC/s, ~29 on two threads, plus its packing of B
 * for every new B), or KERASTORE_WASM_SIMD_GEMM is "1" (whatever the threads; "0": never).
 */
export function ownProductFaster(backend: object): boolean {
  // Read on every call (not only when the module is made): a benchmark switches it to compare.
  const env = envVar("KERASTORE_WASM_SIMD_GEMM");
  if (env === "0" || gemmSimd(backend) === null) return false;
  if (env === "1") return true;
  const tfjs = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs;
  return (tfjs?.getThreadsCount?.() ?? 1) <= poolThreads(backend);
}
