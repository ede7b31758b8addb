import * as tf from "@tensorflow/tfjs-core";
import { composite, heapF32, type KernelBackend, type TensorInfo } from "./composite.js";
import { convByProduct, convProductApplies } from "./conv-gemm.js";
import { fixedBlocks, runParts, splitRange } from "./kernel-pool.js";
import { maskConstants, maskedGradient } from "./relu-simd.js";
import { reluGradValue } from "./relu-train.js";
import { encodeModule, I32, instantiateOnBackend, op, V128, type WasmFunction } from "./wasm-encode.js";

// Conv2D + bias + ReLU while training. tfjs's fused convolution runs unfused when gradients are
// recorded (a convolution, a bias add and a ReLU: three passes forward, and backward the ReLU's
// Step and Multiply and the bias's Sum: three more). Here the forward pass is WASM's
// FusedConv2D (XNNPACK adds the bias and clamps as it writes), and its registered gradient
// takes the output gradient through the ReLU and sums the bias gradient in one pass (a
// WebAssembly SIMD loop for channels by 4s), then asks the convolution's two gradient kernels
// for what the tape needs. The pass computes each value as tfjs's ops do: dz = dy * step(z)
// (z > 0 exactly where the output y = relu(z) > 0) and the bias gradient summed in float32 over
// the rows in order, as the Sum kernel of ./column-reduce.ts: the same bits, except that a dz
// under 2^-100 in magnitude is set to zero (./subnormal.ts). A model that grows confident sends
// ever smaller gradients back; once they or their products are subnormal, every product of the
// convolution's gradients takes the processor's slow path (the filter gradient of a 14x14x32 ->
// 64 layer: 13 ms on normal numbers, 830 ms on subnormal ones).
// KERASTORE_WASM_SIMD_RELU=0 turns the SIMD loop off (a JavaScript loop runs instead).

export const CONV_BIAS_RELU = "KerastoreConv2DBiasRelu";
export const RELU_BIAS_GRAD = "KerastoreReluBiasGrad";

interface ConvAttrs {
  strides: [number, number];
  pad: "valid" | "same";
}

type Backend = KernelBackend & { makeOutput(shape: number[], dtype: tf.DataType): TensorInfo };

/** The forward kernel: x [batch, H, W, inC], filter [kH, kW, inC, outC], bias [outC] (NHWC, dilation 1). */
export function convBiasReluKernel(args: {
  inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
  attrs: ConvAttrs;
  backend: KernelBackend;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const { x, filter, bias } = inputs;
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const [sh, sw] = attrs.strides;
  if (sh === 1 && sw === 1 && x.dtype === "float32" && convProductApplies(backend, ci, co, "forward")) {
    // Stride 1 on our product (./conv-gemm.ts): "same" pads (kernel - 1) / 2 before, "valid" none.
    const [h, w] = [x.shape[1]!, x.shape[2]!];
    const same = attrs.pad === "same";
    const place = same
      ? { outHeight: h, outWidth: w, top: Math.floor((kh - 1) / 2), left: Math.floor((kw - 1) / 2) }
      : { outHeight: h - kh + 1, outWidth: w - kw + 1, top: 0, left: 0 };
    if (place.outHeight > 0 && place.outWidth > 0)
      return composite(backend, inputs, (k) => convByProduct(k, x, filter, place, bias, true));
  }
  return composite(backend, inputs, (k) =>
    k.run("FusedConv2D", inputs, {
      strides: attrs.strides,
      pad: attrs.pad,
      dataFormat: "NHWC",
      dilations: [1, 1],
      activation: "relu",
    }),
  );
}

interface SimdReluBias {
  /**
   * (dy, y, dz, db, rows, cBytes, rowBytes): over `rows` rows rowBytes apart, cBytes bytes of
   * each (a block of channels), dz = dy * (y > 0 ? 1 : 0), flushed; db[j] += dz[r, j], row by row.
   */
  pass: (...args: number[]) => void;
}

function pass(): WasmFunction {
  const { get, set, i32, load, store, simd, loop, exitIf } = op;
  const F32X4_ADD = 0xe4;
  const [DY, Y, DZ, DB, ROWS, CB, STRIDE] = [0, 1, 2, 3, 4, 5, 6];
  const [R, J, P] = [7, 8, 9];
  const [ONE, D, MIN, SIGN, DYV, YV] = [10, 11, 12, 13, 14, 15];
  const mask = { one: ONE, min: MIN, sign: SIGN };
  const add = op.i32Add;
  const code = [
    ...maskConstants(mask),
    ...loop([
      ...[...get(R), ...get(ROWS), ...op.i32GeU, ...exitIf],
      ...[...i32(0), ...set(J)],
      ...loop([
        ...[...get(J), ...get(CB), ...op.i32GeU, ...exitIf],
        // d = dy * step(y), dy flushed below 2^-100 first (./relu-simd.ts: no product of a subnormal).
        ...[...get(DY), ...get(P), ...add, ...load(), ...set(DYV)],
        ...[...get(Y), ...get(P), ...add, ...load(), ...set(YV)],
        ...maskedGradient(DYV, YV, D, mask),
        ...[...get(DZ), ...get(P), ...add, ...get(D), ...store()],
        ...[...get(DB), ...get(J), ...add, ...get(DB), ...get(J), ...add, ...load(), ...get(D), ...simd(F32X4_ADD)],
        ...store(),
        ...[...get(J), ...i32(16), ...add, ...set(J)],
        ...[...get(P), ...i32(16), ...add, ...set(P)],
      ]),
      // On to the next row's block.
      ...[...get(P), ...get(STRIDE), ...add, ...get(CB), ...[0x6b], ...set(P)],
      ...[...get(R), ...i32(1), ...add, ...set(R)],
    ]),
  ];
  return {
    name: "pass",
    params: new Array<number>(7).fill(I32),
    locals: [
      [3, I32],
      [6, V128],
    ],
    code,
  };
}

const MODULE = "relu-bias-grad";
/** Elements per block of rows (./kernel-pool.ts): under 2 * PART, one block. */
const PART = 1 << 19;

function simdReluBias(backend: object): SimdReluBias | null {
  return instantiateOnBackend<SimdReluBias>(backend, MODULE, "KERASTORE_WASM_SIMD_RELU", (limits) =>
    encodeModule([pass()], limits),
  );
}

/**
 * The ReLU's and the bias's gradients in one pass: from dy and y = relu(z) (float32, channels
 * last), dz = dy * step(z) (same shape, values under 2^-100 set to zero) and db = the sum of dz over every
 * axis but the last.
 */
export function reluBiasGradKernel(args: {
  inputs: { dy: TensorInfo; y: TensorInfo };
  backend: KernelBackend;
  useSimd?: boolean;
}): TensorInfo[] {
  const { inputs, useSimd = true } = args;
  const backend = args.backend as Backend;
  const { dy, y } = inputs;
  const c = y.shape[y.shape.length - 1]!;
  const rows = y.shape.slice(0, -1).reduce((a, d) => a * d, 1);
  const dz = backend.makeOutput(y.shape, "float32");
  const db = backend.makeOutput([c], "float32");
  const simd = useSimd && c % 4 === 0 ? simdReluBias(backend) : null;
  if (simd !== null) {
    passByBlocks(backend, dy, y, dz, db, rows, c);
    return [dz, db];
  }
  const dbv = heapF32(backend, db);
  dbv.fill(0);
  const [g, yv, zv] = [heapF32(backend, dy), heapF32(backend, y), heapF32(backend, dz)];
  for (let r = 0, o = 0; r < rows; r++, o += c)
    for (let j = 0; j < c; j++) {
      const d = reluGradValue(g[o + j]!, yv[o + j]!);
      zv[o + j] = d;
      dbv[j] = dbv[j]! + d;
    }
  return [dz, db];
}

/**
 * The SIMD pass over blocks of rows, as many as the size gives (not the thread count), each
 * summing its bias gradient into its own buffer (a cache line apart), the blocks spread over the
 * kernel pool's threads; the sums are then added in block order. The same bits on any number
 * of threads; one block (under 2 * PART values) gives the Sum kernel's bits.
 */
function passByBlocks(
  backend: Backend,
  dy: TensorInfo,
  y: TensorInfo,
  dz: TensorInfo,
  db: TensorInfo,
  rows: number,
  c: number,
): void {
  const blocks = fixedBlocks(rows * c, PART);
  // Each block's sums on cache lines of their own: a 64-byte gap before and after each (the
  // threads store every row's sums: a shared line would ping-pong between the cores).
  const stride = Math.ceil(c / 16) * 16 + 16;
  const scratch = blocks > 1 ? backend.makeOutput([(blocks - 1) * stride + 16], "float32") : undefined;
  // Views after the last allocation (a growing memory detaches older ones).
  const dbv = heapF32(backend, db);
  dbv.fill(0);
  const sv = scratch === undefined ? undefined : heapF32(backend, scratch);
  sv?.fill(0);
  const [ga, ya, za] = [
    heapF32(backend, dy).byteOffset,
    heapF32(backend, y).byteOffset,
    heapF32(backend, dz).byteOffset,
  ];
  const row = c * 4;
  const calls = splitRange(rows, blocks).map(([s, e], i) => [
    ga + s * row,
    ya + s * row,
    za + s * row,
    i === 0 ? dbv.byteOffset : sv!.byteOffset + ((i - 1) * stride + 16) * 4,
    e - s,
    row,
    row,
  ]);
  runParts(backend, MODULE, "pass", calls);
  if (scratch === undefined) return;
  const sums = heapF32(backend, scratch);
  const out = heapF32(backend, db);
  for (let i = 1; i < blocks; i++) for (let j = 0; j < c; j++) out[j] = out[j]! + sums[(i - 1) * stride + 16 + j]!;
  backend.disposeData(scratch.dataId);
}

let gradient = false;

/** Registers the forward kernel's gradient (once). */
export function registerConvBiasReluGradient(): void {
  if (gradient) return;
  gradient = true;
  tf.registerGradient({
    kernelName: CONV_BIAS_RELU,
    inputsToSave: ["x", "filter"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const { strides, pad } = attrs as unknown as ConvAttrs;
      const [dz, db] = tf.engine().runKernel(RELU_BIAS_GRAD, { dy: dy as tf.Tensor, y }) as tf.Tensor[];
      const conv = { strides, pad, dataFormat: "NHWC" };
      return {
        x: () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy: dz!, filter }, {
            ...conv,
            inputShape: x.shape,
          } as never) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dz! }, {
            ...conv,
            filterShape: filter.shape,
          } as never) as tf.Tensor,
        bias: () => db!,
      };
    },
  });
}

/**
 * relu(conv2d(x, filter) + bias) through {@link CONV_BIAS_RELU} where it applies: gradients
 * being recorded (tfjs would unfuse), the kernel registered on the WASM backend, float32.
 * Returns null elsewhere (the caller runs tfjs's op).
 */
export function convBiasRelu(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor,
  strides: [number, number],
  pad: "valid" | "same",
): tf.Tensor4D | null {
  const engine = tf.engine() as unknown as { state: { gradientDepth: number } };
  if (
    engine.state.gradientDepth === 0 ||
    x.dtype !== "float32" ||
    bias.rank !== 1 ||
    tf.getBackend() !== "wasm" ||
    tf.getKernel(CONV_BIAS_RELU, "wasm") === undefined
  )
    return null;
  return tf.engine().runKernel(CONV_BIAS_RELU, { x, filter, bias }, { strides, pad } as never) as tf.Tensor4D;
}
