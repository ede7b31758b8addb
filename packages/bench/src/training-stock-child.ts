// tfjs-layers as a user has it, one workload per process (spawned by training.bench.ts): stock
// @tensorflow/tfjs-core + tfjs-backend-wasm 4.22 with none of the engine's kernels, tfjs's own
// thread count (its non-threaded SIMD build in Node), tfjs-layers's own initial weights.
//
// Where a training step needs a kernel stock WASM lacks, the step fails ("Kernel 'X' not
// registered for backend 'wasm'"): the child notes X, gives WASM tfjs-backend-cpu's kernel for it
// (inputs copied to the CPU backend and the result back, the one way such a model trains on
// WASM), and tries again; such a workload is timed over single steps (trainOnBatch), not epochs.
// Predict is measured first, before any training and independently of it (a model stock WASM
// cannot train still predicts), and printed at once as one JSON line { predict (ms, the median
// of <rounds> after a warm-up) }; then training, one JSON line: { fit (samples/s), cpuMs
// (process CPU time per sample x epoch size), missing (kernel names), steps (how fit was timed) }.
// Both start from the weights in <weights>.json / .bin when given (the engine's starting
// weights, written by training.bench.ts), else tfjs-layers's own initial weights.
//
// Usage: training-stock-child.ts <workload key> <rounds> [<weights>]
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-cpu";
import { camel, layersModel, readSharedWeights, workloadData } from "./training-tfl.js";
import { WORKLOADS } from "./workloads.js";

type Info = { dataId: object; shape: number[]; dtype: tf.DataType };
type DataBackend = {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
};

/** WASM runs tfjs-backend-cpu's kernel `name`: inputs copied to the CPU backend, outputs back. */
function cpuKernelOnWasm(name: string): void {
  const config = tf.getKernel(name, "cpu");
  if (config === undefined) throw new Error(`tfjs-backend-cpu has no kernel ${name} either`);
  tf.registerKernel({
    kernelName: name,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const wasm = backend as unknown as DataBackend;
      const cpu = tf.engine().findBackend("cpu") as unknown as DataBackend;
      const moved: Record<string, Info> = {};
      for (const [k, t] of Object.entries(inputs as Record<string, Info>))
        moved[k] = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
      const out = config.kernelFunc({ inputs: moved as never, attrs: attrs ?? {}, backend: cpu as never }) as
        | Info
        | Info[];
      const back = (o: Info): Info => {
        const info = { dataId: wasm.write(cpu.readSync(o.dataId), o.shape, o.dtype), shape: o.shape, dtype: o.dtype };
        cpu.disposeData(o.dataId, true);
        return info;
      };
      for (const t of Object.values(moved)) cpu.disposeData(t.dataId, true);
      return Array.isArray(out) ? out.map(back) : back(out);
    },
  });
}

const [key, roundsArg, weightsPath] = process.argv.slice(2);
const w = WORKLOADS.find((x) => x.key === key);
if (w === undefined) throw new Error(`unknown workload ${key}`);
const rounds = Number(roundsArg ?? 3);
if (!(await tf.setBackend("wasm"))) throw new Error("stock tfjs could not start its wasm backend");
await tf.ready();
const model = layersModel(w);
if (weightsPath !== undefined) readSharedWeights(tf, model, weightsPath);
model.compile({ optimizer: "adam", loss: camel(w.loss) });
const { x, y } = workloadData(tf, w);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const predict = () => {
  const out = model.predict(x, { batchSize: w.batch }) as tf.Tensor;
  out.dataSync();
  out.dispose();
};
{
  predict();
  const pred: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    predict();
    pred.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ predict: median(pred) }));
}
const n = w.batch * w.steps;
const xb = tf.slice(x, 0, w.batch);
const yb = tf.slice(y, 0, w.batch);
const missing: string[] = [];
const timed = async (f: () => Promise<unknown> | unknown) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
};
// One step, adding a CPU kernel for each one stock WASM lacks until the step runs; the step
// that runs is timed (through CPU kernels, a step takes minutes: it is the one timed).
let first: { ms: number; cpu: number };
for (;;) {
  try {
    first = await timed(() => model.trainOnBatch(xb, yb));
    break;
  } catch (error) {
    const name = /Kernel '(\w+)' not registered for backend 'wasm'/.exec(String((error as Error).message))?.[1];
    if (name === undefined || missing.includes(name)) throw error;
    missing.push(name);
    console.error(`stock WASM lacks ${name}: using tfjs-backend-cpu's kernel`);
    cpuKernelOnWasm(name);
  }
}
const fit: number[] = [];
const cpu: number[] = [];
if (missing.length === 0) {
  const opts = { epochs: 1, batchSize: w.batch, shuffle: false, verbose: 0 } as const;
  await model.fit(x, y, opts);
  for (let r = 0; r < rounds; r++) {
    const t = await timed(() => model.fit(x, y, opts));
    fit.push(n / (t.ms / 1000));
    cpu.push(t.cpu);
  }
} else {
  fit.push(w.batch / (first.ms / 1000));
  cpu.push((first.cpu * n) / w.batch);
}
console.log(
  JSON.stringify({
    fit: median(fit),
    cpuMs: median(cpu),
    missing,
    steps: missing.length === 0 ? `median of ${rounds} epochs` : "one trainOnBatch step",
  }),
);
process.exit(0);
