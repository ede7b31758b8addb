// fit throughput (samples/s) of the MLP 784-512-512-10 (relu, relu, softmax; Adam; categorical
// crossentropy; batch 256) on the WASM backend: our training loop over hand-wired ops, the
// engine's Sequential through `model.fit` (its Dense runs the same ops), tfjs-layers 4.22 on the
// same backend, and Python Keras 3 on TensorFlow on this machine, all measured in this run.
import { execFileSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Dense,
  Sequential,
  type TrainTarget,
  compile,
  dense,
  fit,
  getOptimizer,
  initBackend,
  tf,
} from "@kerastore/engine";
import * as tfl from "@tensorflow/tfjs-layers";
import { writeBenchSection } from "./report.js";

const BATCH = 256;
const STEPS = Number(process.env.FIT_BENCH_STEPS ?? 8);
const SAMPLES = BATCH * STEPS;
const ROUNDS = Number(process.env.FIT_BENCH_ROUNDS ?? 5);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

function data(): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const x = tf.randomUniform([SAMPLES, 784], 0, 1, "float32", 1) as tf.Tensor2D;
  const labels = tf.cast(tf.floor(tf.randomUniform([SAMPLES], 0, 10, "float32", 2)), "int32") as tf.Tensor1D;
  return { x, y: tf.cast(tf.oneHot(labels, 10), "float32") as tf.Tensor2D };
}

// The machine is shared: the trainers take turns, one epoch each per round, after a warm-up
// epoch each; the median round gives each one's samples per second.
async function interleaved(
  trainers: Record<string, (epochs: number) => Promise<void>>,
): Promise<Record<string, number>> {
  const runs: Record<string, number[]> = {};
  for (const [name, train] of Object.entries(trainers)) {
    await train(1);
    runs[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, train] of Object.entries(trainers)) {
      const t0 = performance.now();
      await train(1);
      runs[name]!.push(SAMPLES / ((performance.now() - t0) / 1000));
    }
  }
  return Object.fromEntries(
    Object.entries(runs).map(([k, v]) => [k, v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!]),
  );
}

function glorot(fanIn: number, fanOut: number, seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, "float32", seed));
}

function oursMlp(): TrainTarget {
  const w = [
    glorot(784, 512, 3),
    tf.variable(tf.zeros([512])),
    glorot(512, 512, 4),
    tf.variable(tf.zeros([512])),
    glorot(512, 10, 5),
    tf.variable(tf.zeros([10])),
  ];
  const vars = w.map((value, i) => ({ value, path: `mlp/dense_${i >> 1}/${i % 2 === 0 ? "kernel" : "bias"}` }));
  return {
    trainableVariables: vars,
    forward: ([x]) => {
      const h1 = dense(x as tf.Tensor2D, w[0] as tf.Tensor2D, w[1] as tf.Tensor1D, "relu", { inputGrad: false });
      const h2 = dense(h1, w[2] as tf.Tensor2D, w[3] as tf.Tensor1D, "relu");
      return [tf.softmax(dense(h2, w[4] as tf.Tensor2D, w[5] as tf.Tensor1D, "linear"))];
    },
  };
}

function pythonThroughput(): number | string {
  const code = `
import os, time, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
n = ${SAMPLES}
x = np.random.default_rng(1).uniform(size=(n, 784)).astype("float32")
y = np.eye(10, dtype="float32")[np.random.default_rng(2).integers(0, 10, n)]
m = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"), keras.layers.Dense(512, activation="relu"), keras.layers.Dense(10, activation="softmax")])
m.compile(optimizer="adam", loss="categorical_crossentropy")
m.fit(x, y, batch_size=${BATCH}, epochs=1, verbose=0)
rates = []
for _ in range(${ROUNDS}):
    t0 = time.perf_counter()
    m.fit(x, y, batch_size=${BATCH}, epochs=1, verbose=0)
    rates.append(n / (time.perf_counter() - t0))
print(json.dumps(sorted(rates)[len(rates) // 2]))
`;
  try {
    const python = execFileSync("node", [resolve(repo, "scripts/pyref.mjs")], { encoding: "utf8" }).trim();
    const out = execFileSync(python, ["-c", code], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return Number(out.trim().split("\n").pop());
  } catch (error) {
    return `not measured (${(error as Error).message.split("\n")[0]})`;
  }
}

export async function run(): Promise<void> {
  await initBackend();
  const { x, y } = data();

  const target = oursMlp();
  const compiled = compile({}, { optimizer: getOptimizer("adam"), loss: "categorical_crossentropy" });

  const seq = new Sequential({
    layers: [
      new Dense({ units: 512, activation: "relu", inputShape: [784] }),
      new Dense({ units: 512, activation: "relu" }),
      new Dense({ units: 10, activation: "softmax" }),
    ],
  });
  seq.build([null, 784]);
  seq.compile({ optimizer: "adam", loss: "categorical_crossentropy" });

  const layers = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 512, activation: "relu", inputShape: [784] }),
      tfl.layers.dense({ units: 512, activation: "relu" }),
      tfl.layers.dense({ units: 10, activation: "softmax" }),
    ],
  });
  layers.compile({ optimizer: "adam", loss: "categoricalCrossentropy" });
  const rates = await interleaved({
    ours: async (epochs) => {
      await fit(target, compiled, x, y, { epochs, batchSize: BATCH, shuffle: false, verbose: 0 });
    },
    engineSeq: async (epochs) => {
      await seq.fit(x, y, { epochs, batchSize: BATCH, shuffle: false, verbose: 0 });
    },
    tfjsLayers: async (epochs) => {
      await layers.fit(x, y, { epochs, batchSize: BATCH, shuffle: false, verbose: 0 });
    },
  });
  const { ours, engineSeq, tfjsLayers } = rates as { ours: number; engineSeq: number; tfjsLayers: number };

  const python = pythonThroughput();
  const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
  const rows = [
    "| trainer (WASM backend unless noted) | samples/s | ours / this |",
    "| --- | ---: | ---: |",
    `| ours: training loop + ops/dense.ts (explicit-transpose gradients) | ${fmt(ours)} | 1.00 |`,
    `| ours: engine Sequential, model.fit (Dense on ops/dense.ts) | ${fmt(engineSeq)} | ${(ours / engineSeq).toFixed(2)} |`,
    `| tfjs-layers 4.22 model.fit | ${fmt(tfjsLayers)} | ${(ours / tfjsLayers).toFixed(2)} |`,
    typeof python === "number"
      ? `| Python Keras 3.15 on TensorFlow 2.21 CPU (native, not WASM) | ${fmt(python)} | ${(ours / python).toFixed(2)} |`
      : `| Python Keras 3.15 | ${python} | - |`,
  ];
  const load = (await import("node:os")).loadavg()[0]!.toFixed(1);
  const md = `### fit: MLP 784-512-512-10, batch ${BATCH}, Adam, categorical crossentropy, ${SAMPLES} samples per epoch\n\nMedian of ${ROUNDS} one-epoch rounds per trainer, the JS trainers taking turns (after a warm-up epoch each); load average ${load} when measured on this shared machine.\n\n${rows.join("\n")}\n\nTarget: ours / tfjs-layers >= 5. tfjs-layers uses tfjs's matMul gradient, whose transposed products are the slow WASM path; ours (hand-wired and the engine's Dense alike) uses explicit transposes and plain products (packages/engine/src/ops).`;
  console.log(md);
  writeBenchSection("fit", md);
}
