// Adam's update as a loop of WebAssembly SIMD (f32x4) instructions over tfjs-backend-wasm's own
// memory: a module of a few hundred bytes, encoded below and instantiated on the memory of the
// running backend (imported, so it reads and writes tensors where they are, threaded build or
// not). Each f32x4 operation is IEEE float32 arithmetic, as WASM's own elementwise kernels and
// `Math.fround` of the JavaScript kernel: results equal theirs bit for bit. One pass over the
// variable, its gradient and its slots, ~1 ns an element, against ~10 passes through
// WASM's kernels (a [10000, 64] embedding: ~10 ms) or ~10 ns an element in JavaScript.
// KERASTORE_WASM_SIMD_ADAM=0 turns it off.

import { F32, I32, V128, encodeModule, instantiateOnBackend, leb } from "./wasm-encode.js";

/** The encoded module: `adam` (g squared in the loop) and `adamSq` (a given squared gradient). */
function encode(memoryLimits: number[]): Uint8Array {
  const simd = (op: number) => [0xfd, ...leb(op)];
  const get = (i: number) => [0x20, ...leb(i)];
  const set = (i: number) => [0x21, ...leb(i)];
  const load = (ptr: number) => [...get(ptr), ...get(I), 0x6a, ...simd(0x00), 4, 0];
  const store = (ptr: number, value: number[]) => [...get(ptr), ...get(I), 0x6a, ...value, ...simd(0x0b), 4, 0];
  const [SPLAT, SQRT, ADD, SUB, MUL, DIV] = [0x13, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7];
  // Parameters: x, g, m, v, xo, mo, vo, sq (byte offsets), n (elements, a multiple of 4),
  // c1, c2, alpha, eps. Locals: i, end, then v128: gi, mi, m2, v2, c1, c2, alpha, eps.
  const [X, G, M, V, XO, MO, VO, SQ, N, C1, C2, ALPHA, EPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const [I, END, GI, MI, M2, V2, C1V, C2V, AV, EV] = [13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
  const body = (withSq: boolean) => {
    const code = [
      ...[C1, C2, ALPHA, EPS].flatMap((p, k) => [...get(p), ...simd(SPLAT), ...set([C1V, C2V, AV, EV][k]!)]),
      ...get(N),
      0x41,
      2,
      0x74, // i32.shl: elements to bytes
      ...set(END),
      0x02,
      0x40, // block
      0x03,
      0x40, // loop
      ...get(I),
      ...get(END),
      0x4f, // i32.ge_u
      0x0d,
      1, // br_if out
      ...load(G),
      ...set(GI),
      ...load(M),
      ...set(MI),
      // m2 = m + (g - m) * c1
      ...get(MI),
      ...get(GI),
      ...get(MI),
      ...simd(SUB),
      ...get(C1V),
      ...simd(MUL),
      ...simd(ADD),
      ...set(M2),
      // v2 = v + (g * g - v) * c2, or (sq - v)
      ...load(V),
      ...(withSq ? load(SQ) : [...get(GI), ...get(GI), ...simd(MUL)]),
      ...load(V),
      ...simd(SUB),
      ...get(C2V),
      ...simd(MUL),
      ...simd(ADD),
      ...set(V2),
      ...store(MO, get(M2)),
      ...store(VO, get(V2)),
      // x - (m2 * alpha) / (sqrt(v2) + eps)
      ...store(XO, [
        ...load(X),
        ...get(M2),
        ...get(AV),
        ...simd(MUL),
        ...get(V2),
        ...simd(SQRT),
        ...get(EV),
        ...simd(ADD),
        ...simd(DIV),
        ...simd(SUB),
      ]),
      ...get(I),
      0x41,
      16,
      0x6a,
      ...set(I),
      0x0c,
      0, // br loop
      0x0b,
      0x0b, // end loop, block (encodeModule ends the function)
    ];
    return code;
  };
  const params = [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32];
  const locals: [number, number][] = [
    [2, I32],
    [8, V128],
  ];
  return encodeModule(
    [
      { name: "adam", params, locals, code: body(false) },
      { name: "adamSq", params, locals, code: body(true) },
    ],
    memoryLimits,
  );
}

type AdamFn = (...args: number[]) => void;
export interface SimdAdam {
  adam: AdamFn;
  adamSq: AdamFn;
}

/** The SIMD Adam loops on this WASM backend's memory, or null where they cannot run. */
export function simdAdam(backend: object): SimdAdam | null {
  return instantiateOnBackend<SimdAdam>(backend, "adam", "KERASTORE_WASM_SIMD_ADAM", encode);
}
