import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../backend.js";
import { Adam, AdamW } from "../../training/optimizers/adam.js";
import type { Optimizer } from "../../training/optimizers/optimizer.js";
import { RMSprop } from "../../training/optimizers/rmsprop.js";
import { SGD } from "../../training/optimizers/sgd.js";
import type { TrainableVariable } from "../../training/trainable.js";
import type { SparseGradient } from "../embedding-lookup.js";
import { registerWasmKernels } from "./index.js";
import { FUSED_MAX } from "./optimizer-updates.js";
import { simdAdam } from "./simd-adam.js";

// The fused optimizer kernels (one per variable and step) against the tfjs ops they replace:
// three steps of each optimizer configuration from the same weights and gradients, once with
// the kernels registered and once without them (the optimizers then run the ops): the weights
// and slots must be the same bits. A variable over FUSED_MAX elements keeps the ops, but for
// Adam, whose large variables run a WebAssembly SIMD loop (./simd-adam.ts); so does a
// looked-up (embedding) variable's Adam update, with its gradient squared slice by slice.

const KERNELS = ["KerastoreAdamUpdate", "KerastoreRMSpropUpdate", "KerastoreSGDUpdate"];

const configs: [string, () => Optimizer][] = [
  ["Adam", () => new Adam({ learningRate: 0.01 })],
  ["AdamW", () => new AdamW({ learningRate: 0.01 })],
  ["SGD", () => new SGD({ learningRate: 0.1 })],
  ["SGD momentum", () => new SGD({ learningRate: 0.1, momentum: 0.9 })],
  ["SGD nesterov", () => new SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
  ["RMSprop", () => new RMSprop({ learningRate: 0.01 })],
  ["RMSprop momentum centered", () => new RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true })],
  ["RMSprop centered", () => new RMSprop({ learningRate: 0.01, rho: 0.8, centered: true })],
];

const wave = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 3);

interface Run {
  values: Float32Array[];
  kernels: string[];
}

async function train(make: () => Optimizer, shapes: number[][], sparseRows?: number[]): Promise<Run> {
  const variables: TrainableVariable[] = shapes.map((s, i) => ({
    value: tf.variable(
      tf.tensor(
        wave(
          s.reduce((a, d) => a * d, 1),
          i,
        ),
        s,
      ),
    ),
    path: `layer/w${i}`,
  }));
  const optimizer = make();
  const kernels: string[] = [];
  for (let step = 0; step < 3; step++) {
    const grads = shapes.map((s, i) =>
      tf.tensor(
        wave(
          s.reduce((a, d) => a * d, 1),
          10 * step + i + 0.5,
        ),
        s,
      ),
    );
    // With sparseRows: the first variable is a table looked up at these rows (one occurrence
    // gradient each, summed into the dense gradient).
    let sparse: Map<tf.Tensor, SparseGradient> | undefined;
    if (sparseRows !== undefined) {
      const width = shapes[0]![1]!;
      const ids = tf.tensor1d(sparseRows, "int32");
      const values = tf.tensor2d(wave(sparseRows.length * width, step + 0.25), [sparseRows.length, width]);
      tf.dispose(grads[0]!);
      grads[0] = tf.unsortedSegmentSum(values, ids, shapes[0]![0]!);
      sparse = new Map([[variables[0]!.value, { ids, values, rows: shapes[0]![0]! }]]);
    }
    const info = await tf.profile(() => optimizer.applyGradients(grads, variables, sparse));
    for (const r of sparse?.values() ?? []) tf.dispose([r.ids, r.values]);
    kernels.push(...info.kernels.map((k) => k.name));
    tf.dispose(grads);
  }
  const values = [
    ...variables.map((v) => v.value.dataSync() as Float32Array),
    ...optimizer.getWeights().filter((w): w is Float32Array => w instanceof Float32Array),
  ];
  for (const v of variables) v.value.dispose();
  optimizer.dispose();
  return { values, kernels };
}

describe("fused optimizer updates on WASM", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm", threads: 1 });
    registerWasmKernels();
  });

  for (const [name, make] of configs) {
    it(`${name}: one kernel per variable, the same bits as the ops`, async () => {
      const shapes = [[7, 5], [5], [FUSED_MAX + 3]];
      const fused = await train(make, shapes);
      const saved = KERNELS.map((k) => tf.getKernel(k, "wasm")!);
      for (const k of KERNELS) tf.unregisterKernel(k, "wasm");
      let ops: Run;
      try {
        ops = await train(make, shapes);
      } finally {
        for (const config of saved) tf.registerKernel(config);
      }
      const fusedCalls = fused.kernels.filter((k) => KERNELS.includes(k)).length;
      // Two small variables fused per step; the large one on the ops, but for Adam's SIMD loop.
      expect(fusedCalls).toBe((name.startsWith("Adam") ? 3 : 2) * 3);
      expect(ops.kernels.some((k) => KERNELS.includes(k))).toBe(false);
      expect(fused.kernels.length).toBeLessThan(ops.kernels.length);
      expect(fused.values.length).toBe(ops.values.length);
      for (const [i, v] of ops.values.entries())
        expect(Array.from(fused.values[i]!), `tensor ${i}`).toEqual(Array.from(v));
    });
  }

  it("Adam of a looked-up table (rows repeated, most untouched): one SIMD kernel, the same bits as the ops", async () => {
    expect(simdAdam(tf.backend())).not.toBeNull();
    const make = () => new Adam({ learningRate: 0.01 });
    const shapes = [[FUSED_MAX / 8 + 1, 9], [5]];
    const rows = [3, 7, 3, 3, 0, FUSED_MAX / 8];
    const fused = await train(make, shapes, rows);
    const saved = KERNELS.map((k) => tf.getKernel(k, "wasm")!);
    for (const k of KERNELS) tf.unregisterKernel(k, "wasm");
    let ops: Run;
    try {
      ops = await train(make, shapes, rows);
    } finally {
      for (const config of saved) tf.registerKernel(config);
    }
    expect(fused.kernels.filter((k) => KERNELS.includes(k)).length).toBe(2 * 3);
    for (const [i, v] of ops.values.entries())
      expect(Array.from(fused.values[i]!), `tensor ${i}`).toEqual(Array.from(v));
  });
});
