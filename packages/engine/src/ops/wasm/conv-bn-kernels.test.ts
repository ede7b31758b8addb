import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { composite, type TensorInfo } from "./composite.js";
import { filterGradByProduct } from "./conv-filter-grad.js";
import { registerWasmKernels } from "./index.js";

// The convolution-gradient and batch-normalization kernels (conv-filter-grad.ts,
// conv-input-grad-strided.ts, batch-norm-train.ts) against tfjs-backend-cpu on the same inputs,
// on one WASM thread and on two (a child process each: conv-bn-child.test-util.ts), and the two
// thread counts against each other; batch normalization's SIMD loops (batch-norm-simd.ts)
// against its JavaScript loops.

interface Run {
  threading: { asked: number; threads: number };
  simd: boolean;
  errors: Record<string, number>;
  samples: Record<string, number[]>;
}

function child(threads: number, env: Record<string, string> = {}): Run {
  const script = join(__dirname, "conv-bn-child.test-util.ts");
  const r = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", script, String(threads)], {
    encoding: "utf8",
    env: { ...process.env, KERASTORE_WASM_THREADS: "", ...env },
    timeout: 240_000,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(`child (${threads} threads) failed (status ${String(r.status)}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Run;
}

describe("convolution gradients and batch normalization on WASM", () => {
  let one: Run;
  let two: Run;
  let plain: Run;
  beforeAll(() => {
    one = child(1);
    two = child(2);
    // Batch normalization's JavaScript loops (./batch-norm-simd.ts turned off).
    plain = child(1, { KERASTORE_WASM_SIMD_BN: "0" });
  }, 600_000);

  it("equal tfjs-backend-cpu's within float error, on one thread and on two", () => {
    expect(one.threading).toMatchObject({ asked: 1, threads: 1 });
    expect(two.threading).toMatchObject({ asked: 2, threads: 2 });
    expect(Object.keys(one.errors).length).toBe(34);
    expect([one.simd, two.simd, plain.simd]).toEqual([true, true, false]);
    // tfjs-backend-cpu sums in float64, the WASM kernels (but batch normalization's) in
    // float32: over these 300-2,600-term sums, ~1e-6 of the largest value apart.
    for (const run of [one, two, plain])
      for (const [name, err] of Object.entries(run.errors)) expect(err, name).toBeLessThan(5e-6);
  });

  it("give the same results on two threads as on one (within 1e-5 relative)", () => {
    for (const [name, values] of Object.entries(one.samples))
      expectAllClose(two.samples[name]!, values, { rtol: 1e-5, floor: 1e-3, label: name });
  });

  it("batch normalization's SIMD loops give the JavaScript loops' bits, on one thread and on two", () => {
    const names = Object.keys(plain.samples).filter((k) => k.startsWith("batch norm"));
    expect(names.length).toBe(24);
    for (const name of names) {
      expect(one.samples[name], name).toEqual(plain.samples[name]);
      expect(two.samples[name], name).toEqual(plain.samples[name]);
    }
  });

  it("filter gradient as a product: taps in several products equal one product", async () => {
    await initBackend();
    registerWasmKernels();
    const x = tf.randomNormal([4, 9, 9, 5], 0, 1, "float32", 1);
    const info = tf.backend_util.computeConv2DInfo([4, 9, 9, 5], [3, 3, 5, 6], 1, 1, "same");
    const dy = tf.randomNormal([4, 9, 9, 6], 0, 1, "float32", 2);
    const backend = tf.backend() as never;
    const inputs = { x: x as unknown as TensorInfo, dy: dy as unknown as TensorInfo };
    const whole = composite(backend, inputs, (k) => filterGradByProduct(k, inputs.x, inputs.dy, info));
    // A budget of two taps' runs: five products.
    const split = composite(backend, inputs, (k) =>
      filterGradByProduct(k, inputs.x, inputs.dy, info, 2 * 5 * 4 * 11 * 11),
    );
    const [a, b] = [whole, split].map((t) => tf.engine().makeTensorFromTensorInfo(t as never));
    expect(Array.from(b!.dataSync())).toEqual(Array.from(a!.dataSync()));
    const ref = tf.engine().runKernel(
      "Conv2DBackpropFilter",
      { x, dy } as never,
      {
        strides: 1,
        pad: "same",
        filterShape: [3, 3, 5, 6],
      } as never,
    ) as tf.Tensor;
    // Within float error of the one-convolution formulation, relative to the largest value.
    const [got, want] = [a!.dataSync(), ref.dataSync()];
    const scale = Math.max(...Array.from(want, Math.abs));
    for (let i = 0; i < want.length; i++)
      expect(Math.abs(got[i]! - want[i]!), `element ${i}`).toBeLessThan(1e-6 * scale);
    tf.dispose([x, dy, a!, b!, ref]);
  });

  it("filter gradient over views (per row of taps, or per tap when the copy is over budget) equals the copied runs and the plain definition", async () => {
    await initBackend();
    registerWasmKernels();
    const backend = tf.backend() as never;
    const ids = () => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
    const cases: Array<[number[], [number, number, number, number], number, "same" | "valid"]> = [
      [[4, 9, 9, 16], [3, 3, 16, 8], 1, "same"],
      [[4, 9, 9, 16], [3, 3, 16, 8], 2, "same"],
      [[3, 10, 10, 16], [1, 1, 16, 8], 2, "valid"],
      [[3, 8, 7, 17], [3, 3, 17, 5], 1, "valid"],
      [[2, 11, 11, 16], [5, 5, 16, 4], 2, "same"],
      // Stride 1 packs images and rows with shared padding: asymmetric, wide and valid pads.
      [[3, 7, 9, 16], [4, 4, 16, 5], 1, "same"],
      [[2, 6, 5, 16], [5, 5, 16, 3], 1, "same"],
      [[2, 6, 6, 16], [2, 2, 16, 3], 1, "same"],
      [[2, 7, 6, 16], [1, 3, 16, 4], 1, "valid"],
    ];
    for (const [i, [shape, filter, strides, pad]] of cases.entries()) {
      const label = `${shape} ${filter} stride ${strides} ${pad}`;
      const info = tf.backend_util.computeConv2DInfo(shape as never, filter, strides, 1, pad);
      // Inputs with no zero and large values at the row ends, where a view's shifted rows wrap.
      const x = tf.add(tf.randomNormal(shape, 0, 1, "float32", 3 + i), 10);
      const dy = tf.randomNormal([shape[0]!, info.outHeight, info.outWidth, filter[3]], 0, 1, "float32", 4 + i);
      const inputs = { x: x as unknown as TensorInfo, dy: dy as unknown as TensorInfo };
      const before = ids();
      const byRow = composite(backend, inputs, (k) =>
        filterGradByProduct(k, inputs.x, inputs.dy, info, undefined, true),
      );
      const tap = composite(backend, inputs, (k) => filterGradByProduct(k, inputs.x, inputs.dy, info, 1, true));
      const copied = composite(backend, inputs, (k) =>
        filterGradByProduct(k, inputs.x, inputs.dy, info, undefined, false),
      );
      // Views are unregistered, every intermediate freed: only the three results remain.
      expect(ids(), label).toBe(before + 3);
      const [r, a, b] = [byRow, tap, copied].map((t) => tf.engine().makeTensorFromTensorInfo(t as never));
      // The plain definition: per tap, the strided window of the padded input times the output
      // gradient, summed over batch and positions (a transposed product).
      const p = info.padInfo;
      const padded = tf.pad(x, [
        [0, 0],
        [p.top, p.bottom],
        [p.left, p.right],
        [0, 0],
      ]);
      const rows = tf.reshape(dy, [-1, filter[3]]);
      const taps: tf.Tensor[] = [];
      for (let ti = 0; ti < filter[0]; ti++)
        for (let tj = 0; tj < filter[1]; tj++) {
          const win = tf.stridedSlice(
            padded,
            [0, ti, tj, 0],
            [shape[0]!, ti + (info.outHeight - 1) * strides + 1, tj + (info.outWidth - 1) * strides + 1, shape[3]!],
            [1, strides, strides, 1],
          );
          taps.push(tf.matMul(tf.reshape(win, [-1, shape[3]!]), rows, true, false));
        }
      const ref = tf.reshape(tf.stack(taps), filter);
      const [byRowV, got, copy, want] = [r!.dataSync(), a!.dataSync(), b!.dataSync(), ref.dataSync()];
      expect([r!.shape, a!.shape], label).toEqual([filter, filter]);
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let e = 0; e < want.length; e++)
        for (const v of [byRowV[e]!, got[e]!]) {
          expect(Math.abs(v - copy[e]!), `${label} element ${e}`).toBeLessThan(1e-6 * scale);
          expect(Math.abs(v - want[e]!), `${label} element ${e}`).toBeLessThan(2e-6 * scale);
        }
      tf.dispose([x, dy, r!, a!, b!, ref, padded, rows, ...taps]);
    }
  });
});
