// One process of the predict benchmark (spawned by predict.bench.ts): builds the engine model and
// the tfjs-layers model, gives both the same weights, builds, sets and warms them up in the order given, then times
// interleaved predict calls and prints the times as JSON on its last line.
//
// Usage: predict-child.ts <sizes, comma separated> <batch> <rounds> <ours|theirs (built, set and warmed first)>
import { Dense, Input, Model, initBackend } from "@kerastore/engine";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

function ours(sizes: number[]): Model {
  const inputs = Input({ shape: [sizes[0]!] });
  let x = inputs;
  for (let i = 1; i < sizes.length; i++)
    x = new Dense({ units: sizes[i]!, activation: i < sizes.length - 1 ? "relu" : "linear" }).apply(x);
  return new Model({ inputs, outputs: x });
}

function theirs(sizes: number[]): tfl.LayersModel {
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
  return model;
}

/** Glorot-uniform kernels and small biases, made on the host as a loaded file would give them. */
function hostWeights(sizes: number[]): { data: Float32Array; shape: number[] }[] {
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const out: { data: Float32Array; shape: number[] }[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const [fanIn, fanOut] = [sizes[i - 1]!, sizes[i]!];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    out.push({
      data: Float32Array.from({ length: fanIn * fanOut }, () => (next() * 2 - 1) * limit),
      shape: [fanIn, fanOut],
    });
    out.push({ data: Float32Array.from({ length: fanOut }, () => next() * 0.1), shape: [fanOut] });
  }
  return out;
}

const [sizesArg, batchArg, roundsArg, firstArg] = process.argv.slice(2);
const sizes = sizesArg!.split(",").map(Number);
const batch = Number(batchArg);
const rounds = Number(roundsArg);
await initBackend();
// Both models are built (their initializers run), then both get the same weights from the host,
// as after loading a file: the two take the same path to their weight tensors.
// Every step that allocates in the WASM heap (build, set weights, warm up) goes in the order
// given, so that neither model always gets the first or the second place there.
const weights = hostWeights(sizes);
const oursFirst = firstArg !== "theirs";
let a: Model | undefined;
let b: tfl.LayersModel | undefined;
const buildOurs = (): void => {
  a = ours(sizes);
};
const buildTheirs = (): void => {
  b = theirs(sizes);
};
const setOurs = (): void => a!.setWeights(weights.map((w) => w.data));
const setTheirs = (): void => b!.setWeights(weights.map((w) => tf.tensor(w.data, w.shape)));
for (const [mine, other] of [
  [buildOurs, buildTheirs],
  [setOurs, setTheirs],
]) {
  if (oursFirst) {
    mine!();
    other!();
  } else {
    other!();
    mine!();
  }
}
const x = tf.randomNormal([batch, sizes[0]!]);
const runOurs = (): void => {
  a!.predict(x, { batchSize: batch });
};
const runTheirs = (): void => {
  const y = b!.predict(x, { batchSize: batch }) as tf.Tensor;
  y.dataSync();
  y.dispose();
};
// The model run first packs its weights for XNNPACK first; where those packed copies land in
// the WASM heap changes the kernel's speed by a few percent (measured both ways), so the
// parent runs half of the processes each way.
const order = oursFirst ? [runOurs, runTheirs] : [runTheirs, runOurs];
for (let i = 0; i < 3; i++) for (const f of order) f();
const times = { ours: [] as number[], theirs: [] as number[] };
const timed = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
for (let i = 0; i < rounds; i++) {
  // Who goes first alternates, so that neither always pays for the other's clean-up.
  if (i % 2 === 0) {
    times.ours.push(timed(runOurs));
    times.theirs.push(timed(runTheirs));
  } else {
    times.theirs.push(timed(runTheirs));
    times.ours.push(timed(runOurs));
  }
}
console.log(JSON.stringify(times));
