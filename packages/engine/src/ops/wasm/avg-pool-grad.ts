import * as tf from "@tensorflow/tfjs-core";
import { type KernelBackend, type TensorInfo, composite, heapF32 } from "./composite.js";

interface AvgPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
}

type Args = {
  inputs: { dy: TensorInfo; input: TensorInfo };
  attrs: AvgPoolGradAttrs;
  backend: KernelBackend;
};

/**
 * AvgPool's input gradient as TensorFlow computes it: each window's gradient spread evenly over
 * the input positions it averaged, padding excluded. The WASM backend falls back to tfjs's
 * CPU AvgPoolGrad, which divides by the whole window even where "same" padding cut it (so the
 * edges got 4/9 of TensorFlow's gradient for a 3x3 window at a corner), while the forward pool
 * divides by the positions inside. Written in JavaScript over the WASM memory, as MaxPoolGrad.
 */
export function avgPoolGrad({ inputs, attrs, backend }: Args): TensorInfo {
  const { dy, input } = inputs;
  const info = poolInfo(input, attrs);
  return composite(backend, inputs, (k) => {
    const out = k.output(input.shape);
    // Views after the last allocation (a growing memory detaches older ones).
    const dx = heapF32(backend, out);
    spreadAverages(heapF32(backend, dy), dx, input.shape as Shape4, info);
    return out;
  });
}

/** The same on the CPU backend, whose own AvgPoolGrad has the same fault. */
export function avgPoolGradOnCpu({ inputs, attrs, backend }: Args): TensorInfo {
  const { dy, input } = inputs;
  const host = backend as unknown as {
    readSync(id: unknown): Float32Array;
    makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): TensorInfo;
  };
  const dx = new Float32Array(input.shape.reduce((a, b) => a * b, 1));
  spreadAverages(host.readSync(dy.dataId), dx, input.shape as Shape4, poolInfo(input, attrs));
  return host.makeTensorInfo(input.shape, "float32", dx);
}

let cpuRegistered = false;

/** Replaces the CPU backend's AvgPoolGrad with {@link avgPoolGradOnCpu} (once). */
export function registerCpuAvgPoolGrad(): void {
  if (cpuRegistered) return;
  if (tf.getKernel("AvgPoolGrad", "cpu") !== undefined) tf.unregisterKernel("AvgPoolGrad", "cpu");
  tf.registerKernel({ kernelName: "AvgPoolGrad", backendName: "cpu", kernelFunc: avgPoolGradOnCpu as never });
  cpuRegistered = true;
}

type Shape4 = [number, number, number, number];

function poolInfo(input: TensorInfo, attrs: AvgPoolGradAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(input.shape as Shape4, attrs.filterSize, attrs.strides, 1, attrs.pad);
}

/** dx (NHWC) from g: each output position's gradient divided among the input positions inside its window. */
function spreadAverages(g: Float32Array, dx: Float32Array, shape: Shape4, info: tf.backend_util.Conv2DInfo): void {
  dx.fill(0);
  const [b, h, w, c] = shape;
  const [oh, ow] = [info.outHeight, info.outWidth];
  const [sh, sw, fh, fw] = [info.strideHeight, info.strideWidth, info.filterHeight, info.filterWidth];
  const [top, left] = [info.padInfo.top, info.padInfo.left];
  for (let n = 0; n < b; n++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = Math.max(oy * sh - top, 0);
      const y1 = Math.min(oy * sh - top + fh, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = Math.max(ox * sw - left, 0);
        const x1 = Math.min(ox * sw - left + fw, w);
        const count = (y1 - y0) * (x1 - x0);
        if (count <= 0) continue;
        const gBase = ((n * oh + oy) * ow + ox) * c;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const base = ((n * h + iy) * w + ix) * c;
            for (let ch = 0; ch < c; ch++) dx[base + ch] = dx[base + ch]! + g[gBase + ch]! / count;
          }
        }
      }
    }
  }
}
