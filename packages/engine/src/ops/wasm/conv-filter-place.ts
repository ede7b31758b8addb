import type * as tf from "@tensorflow/tfjs-core";
import { heapF32, type TensorInfo, type WasmKernelScope } from "./composite.js";
import { kernelParts, runPartCalls, splitRange } from "./kernel-pool.js";
import { encodeModule, I32, instantiateOnBackend, leb, op, V128, type WasmFunction } from "./wasm-encode.js";

// The operand of the filter gradient's products (./conv-filter-grad.ts, filterGradByViews):
// the padded input's phases laid out channels first, each channel row `q` grid positions long,
// and (by filter column) copies of every row shifted left by one position per column, as a
// WebAssembly SIMD loop on tfjs-backend-wasm's memory. JavaScript took ~5 ms for this at
// [32, 32, 32, 32] (a scalar transpose, then one copy per row and column, into a buffer zeroed
// whole first); here 4 pixels by 4 channels are read as four vectors, turned into four
// channel vectors with shuffles and stored, one pass per column copy (each clipped to its grid
// row: a column copy needs no zero grid columns to read into), and only the cells no input
// pixel lands on are zeroed. Input channels by 4s only (else the caller's JavaScript loop).
// KERASTORE_WASM_SIMD_PLACE=0 turns it off.

type Fn = (...args: number[]) => void;

interface SimdPlace {
  /**
   * (src, pixel, n, dst, gap, blocks, cRow): n pixels of one grid row, all channels. src: byte
   * address of the first pixel's channel 0, pixels `pixel` bytes apart; dst: byte address of
   * the first pixel's cell in channel 0's row, channel c's row c * cRow bytes on; `gap` zero
   * cells are written before that cell in each channel's row; blocks: channels / 4.
   */
  row: Fn;
}

const { get, set, tee, i32, load, store, loop, exitIf, shuffle } = op;
const add = op.i32Add;
const mul = op.i32Mul;
const sub = [0x6b];
/** f32.store (align 4) of the value on the stack at [address below it + offset]. */
const f32Store = (offset = 0) => [0x38, 2, ...leb(offset)];
const extractLane = (lane: number) => [0xfd, 0x1f, lane];
const f32Zero = [0x43, 0, 0, 0, 0];
// Float lanes of two vectors as i8x16.shuffle bytes (lanes 4..7 are the second vector's).
const lanes = (...l: number[]) => l.flatMap((i) => [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]);

/** `body` for counter = 0, step, 2 step, ... while counter + step <= limit (`limit` an i32 expression). */
function upTo(counter: number, step: number, limit: number[], body: number[]): number[] {
  return [
    ...[...i32(0), ...set(counter)],
    ...loop([
      ...[...get(counter), ...i32(step), ...add, ...limit, ...op.i32GtU, ...exitIf],
      ...body,
      ...[...get(counter), ...i32(step), ...add, ...set(counter)],
    ]),
  ];
}

function row(): WasmFunction {
  const [SRC, PIX, N, DST, GAP, BLOCKS, CROW] = [0, 1, 2, 3, 4, 5, 6];
  const [B, S, D, P, E, Z, R, CC] = [7, 8, 9, 10, 11, 12, 13, 14];
  const [V0, V1, V2, V3, R0, R1, R2, R3] = [15, 16, 17, 18, 19, 20, 21, 22];
  const limit = (l: number) => get(l);
  // `body` with E at the address `start` computes.
  const withE = (start: number[], body: number[]) => [...start, ...set(E), ...body];
  // Zeros over GAP cells before D, in channel rows CC = 0..3 of every copy.
  const zeroGap = upTo(
    CC,
    1,
    i32(4),
    withE(
      [...get(D), ...get(CC), ...get(CROW), ...mul, ...add, ...get(GAP), ...i32(4), ...mul, ...sub],
      [
        ...upTo(Z, 4, limit(GAP), [...get(E), ...get(Z), ...i32(4), ...mul, ...add, ...op.zero, ...store()]),
        // Z is now the gap rounded down to 4s: the last cells one by one.
        ...loop([
          ...[...get(Z), ...get(GAP), ...op.i32GeU, ...exitIf],
          ...[...get(E), ...get(Z), ...i32(4), ...mul, ...add, ...f32Zero, ...f32Store()],
          ...[...get(Z), ...i32(1), ...add, ...set(Z)],
        ]),
      ],
    ),
  );
  // Channel rows 0..3 at E, E + CROW, ...: the four values on the stack in order, stored by `put`.
  const fourRows = (values: number[][], put: (offset: number) => number[]) => [
    ...[...get(E), ...values[0]!, ...put(0)],
    ...[...get(E), ...get(CROW), ...add, ...values[1]!, ...put(0)],
    ...[...get(E), ...get(R), ...add, ...values[2]!, ...put(0)],
    ...[...get(E), ...get(R), ...add, ...get(CROW), ...add, ...values[3]!, ...put(0)],
  ];
  const pixelAt = (p: number[]) => [...get(S), ...p, ...get(PIX), ...mul, ...add];
  const blocks = upTo(P, 4, limit(N), [
    // Four pixels' four channels: v_k = pixel P + k.
    ...[...pixelAt(get(P)), ...tee(Z), ...load(), ...set(V0)],
    ...[...get(Z), ...get(PIX), ...add, ...tee(Z), ...load(), ...set(V1)],
    ...[...get(Z), ...get(PIX), ...add, ...tee(Z), ...load(), ...set(V2)],
    ...[...get(Z), ...get(PIX), ...add, ...load(), ...set(V3)],
    // 4x4 transpose: R_c = channel c of pixels P..P+3.
    ...[...get(V0), ...get(V1), ...shuffle(lanes(0, 4, 1, 5)), ...set(R0)], // a0 b0 a1 b1
    ...[...get(V0), ...get(V1), ...shuffle(lanes(2, 6, 3, 7)), ...set(R1)], // a2 b2 a3 b3
    ...[...get(V2), ...get(V3), ...shuffle(lanes(0, 4, 1, 5)), ...set(R2)], // c0 d0 c1 d1
    ...[...get(V2), ...get(V3), ...shuffle(lanes(2, 6, 3, 7)), ...set(R3)], // c2 d2 c3 d3
    ...[...get(R0), ...get(R2), ...shuffle(lanes(0, 1, 4, 5)), ...set(V0)],
    ...[...get(R0), ...get(R2), ...shuffle(lanes(2, 3, 6, 7)), ...set(V1)],
    ...[...get(R1), ...get(R3), ...shuffle(lanes(0, 1, 4, 5)), ...set(V2)],
    ...[...get(R1), ...get(R3), ...shuffle(lanes(2, 3, 6, 7)), ...set(V3)],
    ...withE([...get(D), ...get(P), ...i32(4), ...mul, ...add], fourRows([get(V0), get(V1), get(V2), get(V3)], store)),
  ]);
  // The last n % 4 pixels one at a time (P is where the blocks stopped).
  const rest = loop([
    ...[...get(P), ...get(N), ...op.i32GeU, ...exitIf],
    ...[...pixelAt(get(P)), ...load(), ...set(V0)],
    ...withE(
      [...get(D), ...get(P), ...i32(4), ...mul, ...add],
      fourRows(
        [0, 1, 2, 3].map((l) => [...get(V0), ...extractLane(l)]),
        () => f32Store(),
      ),
    ),
    ...[...get(P), ...i32(1), ...add, ...set(P)],
  ]);
  const code = [
    ...[...get(CROW), ...i32(2), ...mul, ...set(R)],
    ...[...get(SRC), ...set(S), ...get(DST), ...set(D)],
    ...upTo(B, 1, limit(BLOCKS), [
      ...zeroGap,
      ...blocks,
      ...rest,
      ...[...get(S), ...i32(16), ...add, ...set(S)],
      ...[...get(D), ...get(CROW), ...i32(4), ...mul, ...add, ...set(D)],
    ]),
  ];
  return {
    name: "row",
    params: new Array<number>(7).fill(I32),
    locals: [
      [8, I32],
      [8, V128],
    ],
    code,
  };
}

const MODULE = "conv-filter-place";
/** Values written per part under which the placement runs on one thread (./kernel-pool.ts). */
const PLACE_PART = 1 << 20;

function simdPlace(backend: object): SimdPlace | null {
  return instantiateOnBackend<SimdPlace>(backend, MODULE, "KERASTORE_WASM_SIMD_PLACE", (limits) =>
    encodeModule([row()], limits),
  );
}

/** How {@link placeRuns} lays out its rows. */
export interface RunLayout {
  /** Grid rows and columns per image (per phase). */
  grid: [number, number];
  /** Positions per channel row: at least batch x grid rows x grid columns. */
  q: number;
  /**
   * One row per filter column ([phase row, channel, filter column, q]): column j's row holds
   * phase column j % strideW shifted left by t = j / strideW cells, each grid row on its own
   * (cells a shift would bring in from the next grid row are zero, so the grid needs no zero
   * columns: grid columns = output columns). Else one row per phase and channel
   * ([phase row, phase column, channel, q]), unshifted.
   */
  byColumn: boolean;
}

/** Whether {@link placeRuns} can write this convolution's rows (channels by 4s, SIMD present). */
export function placeRunsApplies(k: WasmKernelScope, info: tf.backend_util.Conv2DInfo): boolean {
  return info.inChannels % 4 === 0 && simdPlace(k.backend) !== null;
}

/**
 * Writes the rows of {@link RunLayout} for input `x` into `runs` (float32, at least
 * rows x q values; what follows the rows is left as it is): phase (pi, pj)'s grid cell
 * (n, gy, gx) is input pixel (gy * strideH + pi - top, gx * strideW + pj - left) of image n,
 * or zero; a row shifted by t holds at (n, gy, gx) the cell (n, gy, gx + t), or zero past the
 * grid row's end.
 */
export function placeRuns(
  k: WasmKernelScope,
  x: TensorInfo,
  runs: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  { grid: [gh, gw], q, byColumn }: RunLayout,
): void {
  simdPlace(k.backend);
  const [kh, kw, sh, sw] = [info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth];
  const [b, h, w, ci] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels];
  const [ph, pw] = [Math.min(sh, kh), Math.min(sw, kw)];
  const xAt = heapF32(k.backend, x).byteOffset;
  const rv = heapF32(k.backend, runs);
  // Every grid row's call (each writes its cells and the zeros before them: disjoint bytes),
  // then split in order across the kernel pool's threads; the rows' tails are zeroed after.
  const calls: number[] = [];
  const tails: [number, number][] = [];
  for (let pi = 0; pi < ph; pi++)
    for (let pj = 0; pj < pw; pj++) {
      const [offH, offW] = [pi - info.padInfo.top, pj - info.padInfo.left];
      // The phase's columns that hold pixels.
      const gx0 = Math.max(0, Math.ceil(-offW / sw));
      const gx1 = Math.floor((w - 1 - offW) / sw) + 1;
      const copies = byColumn ? Math.ceil((kw - pj) / sw) : 1;
      for (let t = 0; t < copies; t++) {
        // Channel 0's row; channel c's is c * cRow rows on.
        const first = byColumn ? pi * ci * kw + pj + t * sw : (pi * pw + pj) * ci;
        const cRow = byColumn ? kw : 1;
        const [from, to] = [Math.max(gx0, t), Math.min(gx1, gw + t)];
        let done = 0; // positions written so far (pixels or zeros), in each channel's row
        if (to > from)
          for (let n = 0; n < b; n++)
            for (let gy = 0; gy < gh; gy++) {
              const iy = gy * sh + offH;
              if (iy < 0 || iy >= h) continue;
              const at = (n * gh + gy) * gw + from - t;
              const src = xAt + ((n * h + iy) * w + from * sw + offW) * ci * 4;
              calls.push(
                src,
                sw * ci * 4,
                to - from,
                rv.byteOffset + (first * q + at) * 4,
                at - done,
                ci / 4,
                cRow * q * 4,
              );
              done = at + to - from;
            }
        for (let c = 0; c < ci; c++) tails.push([(first + c * cRow) * q + done, (first + c * cRow + 1) * q]);
      }
    }
  const rows = calls.length / 7;
  const parts = splitRange(rows, kernelParts(k.backend, b * h * w * ci * (byColumn ? kw : 1), PLACE_PART));
  runPartCalls(
    k.backend,
    MODULE,
    "row",
    7,
    parts.map(([s, e]) => calls.slice(s * 7, e * 7)),
  );
  for (const [from, to] of tails) rv.fill(0, from, to);
}
