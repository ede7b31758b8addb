import { encodeModule, I32, instantiateOnBackend, op, V128, type WasmFunction } from "./wasm-encode.js";

// MaxPool's input gradient as a WebAssembly SIMD loop on tfjs-backend-wasm's memory, for
// windows that do not overlap and need no padding (stride >= pool size, "valid"; the usual 2x2
// pool of a CNN) with the channels a multiple of 4: four channels a vector. Each window is read
// twice: first to find, lane by lane, the first of its maxima in row-major order (a later value
// wins only when strictly greater, as the JavaScript loop of ./pool-grads.ts does, NaN
// included), then to write the window's gradient where that maximum is and zero elsewhere
// (a write, not an add: no window shares a cell). The results equal the JavaScript loop's
// bit for bit (+0 where it leaves a cell at 0, the gradient plus +0 where it adds one).
// KERASTORE_WASM_SIMD_POOL=0 turns it off.

type Fn = (...args: number[]) => void;

export interface SimdMaxPoolGrad {
  /**
   * (x, g, dx, rows, ow, cBytes, fh, fw, winStep, rowBytes, rowStep, perImage, gap, first):
   * `rows` rows of windows; addresses are byte offsets. A window's cell (fy, fx) is at
   * + fy * rowBytes + fx * cBytes; windows are winStep bytes apart along a row and rows of
   * windows rowStep apart (in x and dx); g holds ow * cBytes bytes per row of windows. An image
   * has perImage rows of windows, and after its last one x and dx skip `gap` more bytes (the
   * rows no window covers); the first row is row `first` of its image.
   */
  windows: Fn;
}

const { get, set, tee, i32, load, store, simd, loop, exitIf } = op;
const [I32X4_SPLAT, I32X4_EQ, F32X4_GT, V128_AND, BITSELECT, F32X4_ADD] = [0x11, 0x37, 0x44, 0x4e, 0x52, 0xe4];
const add = op.i32Add;

function windows(): WasmFunction {
  const [X, G, DX, ROWS, OW, CB, FH, FW, WIN, ROW, RSTEP, PER, GAP, K] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [R, OX, P, C, FY, FX, T, GP] = [14, 15, 16, 17, 18, 19, 20, 21];
  const [BEST, IDX, V, M, GV] = [22, 23, 24, 25, 26];
  // base + P + C + FY * ROW + FX * CB (the window cell's address for this lane group).
  const cell = (base: number) => [
    ...[...get(base), ...get(P), ...add, ...get(C), ...add],
    ...[...get(FY), ...get(ROW), ...op.i32Mul, ...add, ...get(FX), ...get(CB), ...op.i32Mul, ...add],
  ];
  // Runs `body` for every cell of the window, T counting cells from 0.
  const taps = (body: number[]) => [
    ...[...i32(0), ...set(T), ...i32(0), ...set(FY)],
    ...loop([
      ...[...get(FY), ...get(FH), ...op.i32GeU, ...exitIf],
      ...[...i32(0), ...set(FX)],
      ...loop([
        ...[...get(FX), ...get(FW), ...op.i32GeU, ...exitIf],
        ...body,
        ...[...get(T), ...i32(1), ...add, ...set(T)],
        ...[...get(FX), ...i32(1), ...add, ...set(FX)],
      ]),
      ...[...get(FY), ...i32(1), ...add, ...set(FY)],
    ]),
  ];
  const find = taps([
    ...[...cell(X), ...load(), ...tee(V), ...get(BEST), ...simd(F32X4_GT), ...set(M)],
    ...[...get(V), ...get(BEST), ...get(M), ...simd(BITSELECT), ...set(BEST)],
    ...[...get(T), ...simd(I32X4_SPLAT), ...get(IDX), ...get(M), ...simd(BITSELECT), ...set(IDX)],
  ]);
  const write = taps([
    ...cell(DX),
    ...[...get(GV), ...get(IDX), ...get(T), ...simd(I32X4_SPLAT), ...simd(I32X4_EQ), ...simd(V128_AND)],
    ...[...op.zero, ...simd(F32X4_ADD), ...store()],
  ]);
  const code = [
    ...[...get(G), ...set(GP)],
    ...loop([
      ...[...get(R), ...get(ROWS), ...op.i32GeU, ...exitIf],
      ...[...i32(0), ...set(P), ...i32(0), ...set(OX)],
      ...loop([
        ...[...get(OX), ...get(OW), ...op.i32GeU, ...exitIf],
        ...[...i32(0), ...set(C)],
        ...loop([
          ...[...get(C), ...get(CB), ...op.i32GeU, ...exitIf],
          ...[...get(X), ...get(P), ...add, ...get(C), ...add, ...load(), ...set(BEST)],
          ...[...op.zero, ...set(IDX)],
          ...find,
          ...[...get(GP), ...get(C), ...add, ...load(), ...set(GV)],
          ...write,
          ...[...get(C), ...i32(16), ...add, ...set(C)],
        ]),
        ...[...get(GP), ...get(CB), ...add, ...set(GP)],
        ...[...get(P), ...get(WIN), ...add, ...set(P)],
        ...[...get(OX), ...i32(1), ...add, ...set(OX)],
      ]),
      ...[...get(X), ...get(RSTEP), ...add, ...set(X)],
      ...[...get(DX), ...get(RSTEP), ...add, ...set(DX)],
      ...[...get(R), ...i32(1), ...add, ...set(R)],
      // The image's last row of windows: on to the next image's first.
      ...[...get(K), ...i32(1), ...add, ...tee(K), ...get(PER), ...op.i32Eq, 0x04, 0x40],
      ...[...i32(0), ...set(K)],
      ...[...get(X), ...get(GAP), ...add, ...set(X), ...get(DX), ...get(GAP), ...add, ...set(DX)],
      0x0b,
    ]),
  ];
  return {
    name: "windows",
    params: new Array<number>(14).fill(I32),
    locals: [
      [8, I32],
      [5, V128],
    ],
    code,
  };
}

/** The module's name on the backend (./kernel-pool.ts runs its parts by it). */
export const MAX_POOL_GRAD_MODULE = "max-pool-grad";

/** The SIMD loop on this WASM backend's memory, or null where it cannot run. */
export function simdMaxPoolGrad(backend: object): SimdMaxPoolGrad | null {
  return instantiateOnBackend<SimdMaxPoolGrad>(backend, MAX_POOL_GRAD_MODULE, "KERASTORE_WASM_SIMD_POOL", (limits) =>
    encodeModule([windows()], limits),
  );
}
