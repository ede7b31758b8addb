import type * as tf from "@tensorflow/tfjs-core";
import { heapF32, type TensorInfo, type WasmKernelScope } from "./composite.js";

// Conv2D's input gradient at stride s > 1 (NHWC, no dilation), split into the s x s phases of
// the padded input: the input rows r = p + s * u (and columns likewise) receive only from the
// filter taps i = p + s * a, so each phase is a stride-1 "full" convolution of the output
// gradient with that sub-filter (taps turned by 180 degrees, channel axes swapped), one
// XNNPACK convolution each; a JavaScript pass then interleaves the phases into dx and drops
// the padding. The one-convolution form of ./conv-grads.ts spreads dy with s - 1 zeros between
// values first and so multiplies s * s times as many zeros as values (4x the work at stride 2).

/** dx [batch, H, W, inC] from dy [batch, outH, outW, outC] and the filter [kH, kW, inC, outC]. */
export function stridedInputGrad(
  k: WasmKernelScope,
  dy: TensorInfo,
  filter: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo {
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [b, h, w, ci, co] = [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels];
  const [oh, ow] = [info.outHeight, info.outWidth];
  const [top, left] = [info.padInfo.top, info.padInfo.left];
  interface Phase {
    rows: number;
    cols: number;
    out: TensorInfo;
  }
  const phases: Array<Phase | undefined> = [];
  for (let pr = 0; pr < sh; pr++) {
    for (let pc = 0; pc < sw; pc++) {
      const ka = Math.ceil((kh - pr) / sh);
      const kb = Math.ceil((kw - pc) / sw);
      if (ka <= 0 || kb <= 0) {
        phases.push(undefined);
        continue;
      }
      // Phase rows u that land inside the input: r = pr + sh * u - top in [0, h).
      const rows = Math.ceil((h + top - pr) / sh);
      const cols = Math.ceil((w + left - pc) / sw);
      // The sub-filter, turned and with its channel axes swapped: [ka, kb, outC, inC].
      const sub = k.output([ka, kb, co, ci]);
      const fv = heapF32(k.backend, filter);
      const sv = heapF32(k.backend, sub);
      for (let a = 0; a < ka; a++) {
        for (let bb = 0; bb < kb; bb++) {
          const src = ((pr + sh * (ka - 1 - a)) * kw + (pc + sw * (kb - 1 - bb))) * ci * co;
          const dst = (a * kb + bb) * co * ci;
          for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) sv[dst + o * ci + c] = fv[src + c * co + o]!;
        }
      }
      const pad = [
        [0, 0],
        [ka - 1, Math.max(0, rows - oh)],
        [kb - 1, Math.max(0, cols - ow)],
        [0, 0],
      ];
      const out = k.run(
        "Conv2D",
        { x: dy, filter: sub },
        { strides: [1, 1], pad, dataFormat: "NHWC", dilations: [1, 1] },
      );
      phases.push({ rows: out.shape[1]!, cols: out.shape[2]!, out });
    }
  }
  const dx = k.output([b, h, w, ci]);
  const dv = heapF32(k.backend, dx);
  const views = phases.map((p) => (p === undefined ? undefined : heapF32(k.backend, p.out)));
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      const r = y + top;
      const u = Math.floor(r / sh);
      for (let x = 0; x < w; x++) {
        const c = x + left;
        const v = Math.floor(c / sw);
        const p = (r % sh) * sw + (c % sw);
        const phase = phases[p];
        const view = views[p];
        let d = ((n * h + y) * w + x) * ci;
        if (phase === undefined || view === undefined) {
          dv.fill(0, d, d + ci);
          continue;
        }
        const s = ((n * phase.rows + u) * phase.cols + v) * ci;
        for (let ch = 0; ch < ci; ch++) dv[d++] = view[s + ch]!;
      }
    }
  }
  return dx;
}
