// predict() of @kerastore/engine against @tensorflow/tfjs-layers 4.22 on the same WASM backend in
// the same process: an MLP 784-512-512-10 at batch 256, and the largest model the engine's
// layers make here (784-4096-4096-4096-10, ~38M parameters). Both models get the same weights;
// both times include reading the output back to the host.
import { loadavg } from "node:os";
import { Dense, Input, Model, initBackend } from "@kerastore/engine";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { medianMs, writeBenchSection } from "./report.js";

const engine = { initBackend, Input, Dense, Model };

function ours(sizes: number[]): Model {
  const inputs = engine.Input({ shape: [sizes[0]!] });
  let x = inputs;
  for (let i = 1; i < sizes.length; i++) x = new engine.Dense({ units: sizes[i]!, activation: i < sizes.length - 1 ? "relu" : "linear" }).apply(x);
  return new engine.Model({ inputs, outputs: x });
}

function theirs(sizes: number[], from: Model): tfl.LayersModel {
  const model = tfl.sequential();
  for (let i = 1; i < sizes.length; i++) {
    model.add(
      tfl.layers.dense({
        units: sizes[i]!,
        activation: i < sizes.length - 1 ? "relu" : "linear",
        ...(i === 1 ? { inputShape: [sizes[0]!] } : {}),
      }),
    );
  }
  model.setWeights(from.weights.map((w) => {
    const h = w.read();
    return tf.tensor(h.data as Float32Array, [...h.shape]);
  }));
  return model;
}

async function compare(label: string, sizes: number[], batch: number, runs: number): Promise<string> {
  const a = ours(sizes);
  const b = theirs(sizes, a);
  const x = tf.randomNormal([batch, sizes[0]!]);
  const oursRun = () => a.predict(x, { batchSize: batch });
  const theirsRun = () => {
    const y = b.predict(x, { batchSize: batch }) as tf.Tensor;
    y.dataSync();
    y.dispose();
  };
  // Warm up both (kernels compile, memory settles).
  for (let i = 0; i < 3; i++) {
    oursRun();
    theirsRun();
  }
  // Interleaved, so that load from other processes on the machine falls on both alike.
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Who goes first alternates, so that neither always pays for the other's clean-up.
    if (i % 2 === 0) {
      ta.push(await medianMs(oursRun, 1));
      tb.push(await medianMs(theirsRun, 1));
    } else {
      tb.push(await medianMs(theirsRun, 1));
      ta.push(await medianMs(oursRun, 1));
    }
  }
  const median = (v: number[]) => v.sort((p, q) => p - q)[Math.floor(v.length / 2)]!;
  const t1 = median(ta);
  const t2 = median(tb);
  const ratio = t1 / t2;
  console.log(`${label}: ours ${t1.toFixed(1)} ms, tfjs-layers ${t2.toFixed(1)} ms, ratio ${ratio.toFixed(2)}`);
  x.dispose();
  return `| ${label} | ${batch} | ${t1.toFixed(1)} | ${t2.toFixed(1)} | ${ratio.toFixed(2)} |`;
}

export async function run(): Promise<void> {
  await engine.initBackend();
  const rows = [
    await compare("MLP 784-512-512-10", [784, 512, 512, 10], 256, 21),
    await compare("MLP 784-4096-4096-4096-10", [784, 4096, 4096, 4096, 10], 256, 15),
  ];
  writeBenchSection(
    "predict",
    [
      "`predict` on the WASM SIMD backend: @kerastore/engine against @tensorflow/tfjs-layers 4.22 in the same process, same weights, output read back to the host (median ms). Target: ratio ≤ 1.0.",
      "",
      "| model | batch | ours (ms) | tfjs-layers (ms) | ours / tfjs-layers |",
      "| --- | ---: | ---: | ---: | ---: |",
      ...rows,
      "",
      `Load average when measured: ${loadavg()[0]!.toFixed(1)} on a shared machine; the two runs alternate (who goes first alternates too), so load falls on both alike, but ratios within ±10% are noise at high load. Both run tfjs's fused matMul (bias and relu folded in) on the same backend: the engine adds no work beyond the kernels.`,
    ].join("\n"),
  );
}
