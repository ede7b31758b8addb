import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { heapF32, type TensorInfo } from "./composite.js";
import { gemmCall, gemmSimd, runGemmCalls, splitGemmCalls } from "./gemm-simd.js";
import { kernelPoolCalls, poolThreads } from "./kernel-pool.js";

// The SIMD matrix product (./gemm-simd.ts) against the product summed in float64, over row,
// inner and column counts around its tiles (4 rows, 8 and 4 columns, then single columns)
// and K blocks, with row pitches wider than the rows; calls over row ranges against one call
// (same bits), NaN and infinities, and what lies around C left as it was.

interface Shape {
  m: number;
  k: number;
  n: number;
  lda?: number;
  ldb?: number;
  ldc?: number;
  kBlock?: number;
}

const backend = () => tf.backend() as never;

/** A tensor of `values` in the backend's memory (disposed by the caller). */
function placed(values: Float32Array): tf.Tensor {
  return tf.tensor1d(values);
}

function at(t: tf.Tensor): number {
  return heapF32(backend(), t as unknown as TensorInfo).byteOffset;
}

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.73 + seed) * 2);
}

/**
 * C (with its pitch, everything around the rows set to 7) after the product over `ranges` of
 * rows, or over the parts splitGemmCalls makes of one call (`parts`), run one after the other.
 */
function product(
  s: Shape,
  a: Float32Array,
  b: Float32Array,
  ranges: [number, number][],
  parts = 0,
  local = false,
): Float32Array {
  const [lda, ldb, ldc] = [s.lda ?? s.k, s.ldb ?? s.n, s.ldc ?? s.n];
  const at_ = placed(a);
  const bt = placed(b);
  const ct = placed(new Float32Array(s.m * ldc + 3).fill(7));
  try {
    const call = (r0: number, r1: number) =>
      gemmCall(
        { at: at(at_) + r0 * lda * 4, stride: lda },
        { at: at(bt), stride: ldb },
        { at: at(ct) + r0 * ldc * 4, stride: ldc },
        [r1 - r0, s.k, s.n],
        s.kBlock,
      );
    if (local) gemmSimd(backend())!.gemm(...call(0, s.m));
    else if (parts > 0) for (const part of splitGemmCalls(call(0, s.m), parts)) runGemmCalls(backend(), part);
    else for (const [r0, r1] of ranges) runGemmCalls(backend(), call(r0, r1));
    return heapF32(backend(), ct as unknown as TensorInfo).slice();
  } finally {
    tf.dispose([at_, bt, ct]);
  }
}

function reference(s: Shape, a: Float32Array, b: Float32Array): Float64Array {
  const [lda, ldb] = [s.lda ?? s.k, s.ldb ?? s.n];
  const out = new Float64Array(s.m * s.n);
  for (let i = 0; i < s.m; i++)
    for (let j = 0; j < s.n; j++) {
      let sum = 0;
      for (let p = 0; p < s.k; p++) sum += a[i * lda + p]! * b[p * ldb + j]!;
      out[i * s.n + j] = sum;
    }
  return out;
}

const EDGES = [1, 3, 4, 5, 7, 8, 9, 33];

describe("the SIMD matrix product", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
  });

  it("compiles on this backend", () => {
    expect(gemmSimd(tf.backend())).not.toBeNull();
  });

  const shapes: Shape[] = [];
  for (const m of EDGES) for (const n of EDGES) shapes.push({ m, k: EDGES[(m + n) % EDGES.length]!, n });
  for (const k of EDGES) shapes.push({ m: 6, k, n: 13 });
  shapes.push(
    { m: 9, k: 37, n: 21, lda: 41, ldb: 24, ldc: 23 },
    { m: 5, k: 70, n: 12, kBlock: 16 },
    { m: 13, k: 101, n: 35, lda: 103, ldb: 40, ldc: 36, kBlock: 7 },
    { m: 96, k: 700, n: 64, lda: 701 },
    { m: 8, k: 1300, n: 17, kBlock: 512 },
  );

  it.each(shapes)("matches the float64 product at %o", (s) => {
    const [lda, ldb, ldc] = [s.lda ?? s.k, s.ldb ?? s.n, s.ldc ?? s.n];
    const a = values(s.m * lda, 1);
    const b = values(s.k * ldb, 2);
    const got = product(s, a, b, [[0, s.m]]);
    const want = reference(s, a, b);
    for (let i = 0; i < s.m; i++) {
      for (let j = 0; j < s.n; j++) {
        const w = want[i * s.n + j]!;
        expect(Math.abs(got[i * ldc + j]! - w)).toBeLessThanOrEqual(1e-6 * s.k * 4 + 1e-6 * Math.abs(w));
      }
      // Columns past n (the pitch's padding) are left as they were.
      for (let j = s.n; j < ldc; j++) expect(got[i * ldc + j]).toBe(7);
    }
    expect(Array.from(got.subarray(s.m * ldc))).toEqual([7, 7, 7]);
  });

  it("gives the same bits over row ranges as over all rows", () => {
    const s: Shape = { m: 23, k: 1100, n: 45, lda: 1103, ldb: 48 };
    const a = values(s.m * s.lda!, 3);
    const b = values(s.k * s.ldb!, 4);
    const whole = product(s, a, b, [[0, s.m]]);
    for (const split of [
      [
        [0, 12],
        [12, 23],
      ],
      [
        [0, 1],
        [1, 6],
        [6, 23],
      ],
      [
        [0, 3],
        [3, 7],
        [7, 8],
        [8, 23],
      ],
    ] as [number, number][][])
      expect(product(s, a, b, split)).toEqual(whole);
    for (const parts of [2, 3, 7, 9]) expect(product(s, a, b, [], parts)).toEqual(whole);
  });

  it("runs a large product across the kernel pool's threads (where there is one) with the same bits", () => {
    const s: Shape = { m: 41, k: 3001, n: 64 }; // 7.9 M multiply-adds: parts of at least 2 M
    const a = values(s.m * s.k, 7);
    const b = values(s.k * s.n, 8);
    const before = kernelPoolCalls();
    const pooled = product(s, a, b, [[0, s.m]]);
    expect(kernelPoolCalls() - before).toBe(poolThreads(tf.backend()) > 1 ? 1 : 0);
    expect(pooled).toEqual(product(s, a, b, [], 0, true));
  });

  it("refuses an empty inner dimension (it would leave C as it was)", () => {
    const m = { at: 0, stride: 4 };
    expect(() => gemmCall(m, m, m, [4, 0, 4])).toThrow(
      /cannot multiply matrices: k and its block must be at least 1, not 0 and 1024/,
    );
    expect(() => gemmCall(m, m, m, [4, 4, 4], 0)).toThrow(/not 4 and 0/);
  });

  it("splits calls into parts of whole tiles covering every row once", () => {
    const calls = [
      ...gemmCall({ at: 0, stride: 10 }, { at: 0, stride: 5 }, { at: 8, stride: 6 }, [23, 10, 5]),
      ...gemmCall({ at: 4, stride: 10 }, { at: 0, stride: 5 }, { at: 8, stride: 6 }, [3, 10, 5]),
    ];
    const [p0, p1] = splitGemmCalls(calls, 2);
    // Rows 0..11 and 12..22 of the first call (3 tiles of 4 each), the second's one tile in part 0.
    expect(p0).toEqual([0, 40, 0, 20, 8, 24, 12, 10, 5, 1024, 4096, 4, 40, 0, 20, 8, 24, 3, 10, 5, 1024, 4096]);
    expect(p1).toEqual([12 * 40, 40, 0, 20, 8 + 12 * 24, 24, 11, 10, 5, 1024, 4096]);
    expect(splitGemmCalls(calls, 9).flat().length).toBe(calls.length + 5 * 11); // 6 + 1 parts of tiles
  });

  it("propagates NaN and infinities to the outputs they reach", () => {
    const s: Shape = { m: 6, k: 10, n: 11 };
    const a = values(s.m * s.k, 5);
    const b = values(s.k * s.n, 6);
    a[1 * s.k + 2] = Number.NaN; // row 1: every output NaN
    b[3 * s.n + 9] = Number.POSITIVE_INFINITY; // column 9: infinite where A[., 3] is finite, non-zero
    a[4 * s.k + 3] = 0; // row 4, column 9: 0 · Infinity = NaN
    const got = product(s, a, b, [[0, s.m]]);
    for (let j = 0; j < s.n; j++) expect(got[1 * s.n + j]).toBeNaN();
    for (const i of [0, 2, 3, 5]) {
      const sign = Math.sign(a[i * s.k + 3]!);
      expect(got[i * s.n + 9]).toBe(sign * Number.POSITIVE_INFINITY);
      expect(Number.isFinite(got[i * s.n + 8]!)).toBe(true);
    }
    expect(got[4 * s.n + 9]).toBeNaN();
    expect(Number.isFinite(got[4 * s.n + 8]!)).toBe(true);
  });
});
