// Training and inference of the four workloads of ./workloads.ts (MLP, the MNIST CNN of a
// real-world file, Embedding + LSTM text classifier, small ResNet) on the WASM backend: the
// engine against tfjs-layers 4.22 (same backend, same weights, same batches, their epochs taking
// turns) and Python Keras 3 on TensorFlow CPU (same architecture and batch), all in this run.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  clearSession,
  deserializeLayer,
  Input,
  initBackend,
  type KerasTensor,
  Model,
  registerGradients,
  tf,
  wasmThreading,
} from "@kerastore/engine";
import { keras } from "kerastore";
import { writeBenchSection } from "./report.js";
import { KerasChild, type KerasRound } from "./training-keras.js";
import { camel, layersModel, tflWeightKey, workloadData, writeSharedWeights } from "./training-tfl.js";
import { WORKLOADS, type Workload } from "./workloads.js";

const ROUNDS = Number(process.env.TRAIN_BENCH_ROUNDS ?? 3);
const ONLY = process.env.TRAIN_BENCH_ONLY?.split(",");
const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const realworld = resolve(repo, "../shared/realworld");

export function ours(w: Workload): Model {
  clearSession();
  const input = Input({ shape: w.input, dtype: w.vocab === undefined ? "float32" : "int32" });
  const made = new Map<string, KerasTensor>();
  let last = input;
  for (const l of w.layers) {
    const from = l.inputs?.map((n) => made.get(n)!) ?? [last];
    const layer = deserializeLayer({ class_name: l.cls, config: { ...l.config, name: l.name } } as never, {});
    last = layer.apply(from.length === 1 ? from[0]! : from) as KerasTensor;
    made.set(l.name, last);
  }
  return new Model({ inputs: input, outputs: last });
}

const data = (w: Workload) => workloadData(tf, w);

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

interface Row {
  w: Workload;
  /** tfjs-layers's CPU time per epoch over ours. */
  cpuRatio: number;
  oursFit: number;
  tflFit: number;
  oursPredict: number;
  tflPredict: number;
  py: KerasRound | string;
  /** Ours over Keras's samples/s, round by round (both measured in the same round). */
  pyPaired: number[];
  weights: string;
  stock: Stock | string;
}

/** tfjs-layers as installed (./training-stock-child.ts): what it measured, or why not. */
interface Stock {
  fit: number;
  cpuMs: number;
  predict: number;
  missing: string[];
  steps: string;
  /** No step finished in the time allowed: `fit` is an upper bound (a batch over that time). */
  below?: boolean;
}

const STOCK_TIMEOUT_S = Number(process.env.TRAIN_BENCH_STOCK_TIMEOUT ?? 300);

function stock(w: Workload, weights: string): Stock | string {
  if (process.env.TRAIN_BENCH_STOCK === "0") return "not measured (TRAIN_BENCH_STOCK=0)";
  const child = resolve(dirname(fileURLToPath(import.meta.url)), "training-stock-child.ts");
  // Without our KERASTORE_WASM_THREADS: tfjs's own choice.
  const env = { ...process.env };
  delete env.KERASTORE_WASM_THREADS;
  const result = spawnSync(process.execPath, [...process.execArgv, child, w.key, String(ROUNDS), weights], {
    encoding: "utf8",
    env,
    timeout: STOCK_TIMEOUT_S * 1000,
  });
  // The child prints its predict time first (a line of its own), then the training result.
  const lines = (result.stdout ?? "")
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Partial<Stock>);
  const predict = lines.find((l) => l.predict !== undefined)?.predict ?? Number.NaN;
  if (result.error !== undefined || result.status !== 0) {
    const timedOut = (result.error as { code?: string } | undefined)?.code === "ETIMEDOUT";
    const lacks = [...(result.stderr ?? "").matchAll(/stock WASM lacks (\w+)/g)].map((m) => m[1]);
    if (timedOut)
      return {
        fit: w.batch / STOCK_TIMEOUT_S,
        cpuMs: Number.NaN,
        predict,
        missing: lacks as string[],
        steps: `no step finished in ${STOCK_TIMEOUT_S} s (TRAIN_BENCH_STOCK_TIMEOUT)`,
        below: true,
      };
    return `failed (${(result.stderr ?? String(result.error)).trim().split("\n").pop()})`;
  }
  const last = lines[lines.length - 1];
  if (last?.fit === undefined) return "failed (no result line)";
  return { ...(last as Stock), predict };
}

// Our process CPU time per epoch, by workload (the stock column's CPU-time ratio).
const tfCpuOurs = new Map<string, number>();

async function measure(w: Workload): Promise<Row> {
  const model = ours(w);
  let weights = "random (glorot) weights";
  const file = w.weightsFile === undefined ? undefined : resolve(realworld, w.weightsFile);
  if (file !== undefined && existsSync(file)) {
    const real = await keras.models.loadModel(file);
    model.setWeights(real.getWeights());
    weights = `the weights of ${w.weightsFile}`;
  }
  const other = layersModel(w);
  // tfjs-layers lists trainable weights first; match by layer name and weight attribute.
  const byName = new Map<string, Model["weights"][number]>(
    model.layers.flatMap((l) => l.weights.map((v) => [`${l.name}/${v.name}`, v] as const)),
  );
  const keyOf = new Map(other.layers.flatMap((l) => l.weights.map((lv) => [lv, tflWeightKey(l, lv)] as const)));
  other.setWeights(
    other.weights.map((lv) => {
      const mine = byName.get(keyOf.get(lv) ?? "");
      if (mine === undefined || mine.shape.join("x") !== lv.shape.join("x"))
        throw new Error(`${w.key}: no weight of ours matches tfjs-layers's ${lv.originalName} [${lv.shape}]`);
      return mine.value.clone();
    }),
  );
  // The stock child gets the same starting weights (files it reads, removed after it ran).
  const shared = join(tmpdir(), `kerastore-training-bench-${process.pid}-${w.key}`);
  writeSharedWeights(
    shared,
    [...byName.entries()].map(([key, v]) => ({ key, shape: [...v.shape], values: v.value.dataSync() as Float32Array })),
  );
  model.compile({ optimizer: "adam", loss: w.loss });
  other.compile({ optimizer: "adam", loss: camel(w.loss) });
  const { x, y } = data(w);
  const n = w.batch * w.steps;
  const fitOpts = { epochs: 1, batchSize: w.batch, shuffle: false, verbose: 0 } as const;
  const runs = {
    oursFit: [] as number[],
    tflFit: [] as number[],
    oursPredict: [] as number[],
    tflPredict: [] as number[],
    oursCpu: [] as number[],
    tflCpu: [] as number[],
  };
  // Wall time; the process's CPU time of the last call goes to `cpu` (steadier on a loaded machine).
  let cpu = 0;
  const timed = async (f: () => Promise<unknown> | unknown) => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await f();
    const c = process.cpuUsage(c0);
    cpu = (c.user + c.system) / 1000;
    return performance.now() - t0;
  };
  const predictOurs = () => model.predict(x, { batchSize: w.batch });
  const predictTfl = () => {
    const out = other.predict(x, { batchSize: w.batch }) as tf.Tensor;
    out.dataSync();
    out.dispose();
  };
  // Warm-up: one epoch and one prediction each.
  await model.fit(x, y, fitOpts);
  await other.fit(x, y, fitOpts);
  predictOurs();
  predictTfl();
  // Keras in its own process, up for the whole measurement (./training-keras.ts), warmed up.
  const py = await KerasChild.start(w);
  const pyRuns: KerasRound[] = [];
  const kerasRound = async () => {
    if (typeof py !== "string") pyRuns.push(await py.round());
  };
  // Each round runs every trainer once; the order turns by round (what runs after a fit pays for
  // its garbage, and a change of the machine's load hits each trainer's rounds alike).
  const oursRound = async () => {
    runs.oursFit.push(n / ((await timed(() => model.fit(x, y, fitOpts))) / 1000));
    runs.oursCpu.push(cpu);
    runs.oursPredict.push(await timed(predictOurs));
  };
  const tflRound = async () => {
    runs.tflFit.push(n / ((await timed(() => other.fit(x, y, fitOpts))) / 1000));
    runs.tflCpu.push(cpu);
    runs.tflPredict.push(await timed(predictTfl));
  };
  const order = [oursRound, tflRound, kerasRound];
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < order.length; i++) await order[(r + i) % order.length]!();
  }
  if (typeof py !== "string") py.close();
  tf.dispose([x, y]);
  other.dispose();
  const row = {
    w,
    cpuRatio: median(runs.tflCpu) / median(runs.oursCpu),
    oursFit: median(runs.oursFit),
    tflFit: median(runs.tflFit),
    oursPredict: median(runs.oursPredict),
    tflPredict: median(runs.tflPredict),
    py:
      typeof py === "string"
        ? py
        : { fit: median(pyRuns.map((p) => p.fit)), predict: median(pyRuns.map((p) => p.predict)) },
    pyPaired: pyRuns.map((p, i) => runs.oursFit[i]! / p.fit),
    stock: stock(w, shared),
    weights,
  };
  for (const ext of [".json", ".bin"]) rmSync(shared + ext, { force: true });
  const rounds = { ours: runs.oursFit.map(Math.round), keras: pyRuns.map((p) => Math.round(p.fit)) };
  console.log(w.key, JSON.stringify({ ...row, w: undefined, rounds }));
  tfCpuOurs.set(w.key, median(runs.oursCpu));
  return row;
}

export async function run(): Promise<void> {
  await initBackend();
  await registerGradients();
  const threads = wasmThreading()?.threads ?? 1;
  const loadBefore = loadavg()[0]!;
  console.log(
    `WASM threads ${threads}, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const rows: Row[] = [];
  for (const w of WORKLOADS) if (ONLY === undefined || ONLY.includes(w.key)) rows.push(await measure(w));
  const load = `${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`;
  console.log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const env = process.env.KERASTORE_WASM_THREADS;
  const threadNote =
    env === undefined || env === ""
      ? `The engine's WASM backend ran on ${threads} thread${threads > 1 ? "s" : ""} (its default in Node: every core, at most 4; kernels too small to gain on the calling thread), the same-kernels tfjs-layers too (same process, same backend).`
      : `The engine's WASM backend ran on ${threads} thread${threads > 1 ? "s" : ""} (\`KERASTORE_WASM_THREADS=${env}\`), the same-kernels tfjs-layers too (same process, same backend).`;
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
  const stockFit = (r: Row) =>
    typeof r.stock === "string"
      ? "-"
      : `${r.stock.below ? "< " : ""}${r.stock.fit < 10 ? r.stock.fit.toPrecision(2) : fmt(r.stock.fit)}`;
  const stockRatio = (r: Row) =>
    typeof r.stock === "string"
      ? "-"
      : r.stock.below
        ? `**> ${fmt(r.oursFit / r.stock.fit)}**`
        : `**${fmt(r.oursFit / r.stock.fit)}** (${fmt(r.stock.cpuMs / tfCpuOurs.get(r.w.key)!)})`;
  const lines = [
    "| workload | batch | fit, ours (samples/s) | tfjs-layers, same kernels | tfjs-layers as installed | Keras (TF CPU) | ours / same kernels | (by CPU time) | ours / as installed (by CPU time) | ours / Keras | predict, ours (ms) | same kernels (ms) | as installed (ms) | Keras (ms) | ours / same kernels time | ours / as installed time |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => {
      const py = typeof r.py === "string" ? undefined : r.py;
      const st = typeof r.stock === "string" ? undefined : r.stock;
      return `| ${r.w.title} | ${r.w.batch} | ${fmt(r.oursFit)} | ${fmt(r.tflFit)} | ${stockFit(r)} | ${py ? fmt(py.fit) : "-"} | **${(r.oursFit / r.tflFit).toFixed(2)}** | ${r.cpuRatio.toFixed(2)} | ${stockRatio(r)} | **${py ? (r.oursFit / py.fit).toFixed(2) : "-"}** | ${fmt(r.oursPredict)} | ${fmt(r.tflPredict)} | ${st && Number.isFinite(st.predict) ? fmt(st.predict) : "-"} | ${py ? fmt(py.predict) : "-"} | **${(r.oursPredict / r.tflPredict).toFixed(2)}** | **${st && Number.isFinite(st.predict) ? (r.oursPredict / st.predict).toFixed(2) : "-"}** |`;
    }),
  ];
  const notes = rows.map(
    (r) =>
      `- ${r.w.key}: ${r.w.batch * r.w.steps} samples per epoch, ${r.weights}${typeof r.py === "string" ? `; Keras ${r.py}` : `; ours / Keras round by round ${r.pyPaired.map((v) => v.toFixed(2)).join(", ")} (median ${median(r.pyPaired).toFixed(2)})`}; tfjs-layers as installed: ${typeof r.stock === "string" ? r.stock : r.stock.missing.length === 0 ? `trains on stock WASM (${r.stock.steps})` : `**cannot train on WASM: missing ${r.stock.missing.join(", ")}**; measured with tfjs-backend-cpu's kernels for ${r.stock.missing.length === 1 ? "it" : "them"} (${r.stock.steps})`}.`,
  );
  const md = `### Training and inference: four workloads, Adam, ${threads} WASM thread${threads > 1 ? "s" : ""}${env ? ` (KERASTORE_WASM_THREADS=${env})` : " (the default)"}\n\n${threadNote} Per workload and trainer: one warm-up epoch and prediction, then the median of ${ROUNDS} rounds, each round an epoch then a prediction of every trainer in turn (ours, tfjs-layers, Keras; who goes first turns by round), so a change of the machine's load hits all three alike. Keras runs in a Python process of its own that stays up for the whole workload (src/training-keras.ts: same architecture, batch and data sizes; its warm-up epoch and prediction, with tracing, before the timed rounds). \`predict\` covers the epoch's samples at the same batch size, output read back. Load average ${load} on this shared 2-core machine (other jobs were running: the ratios, measured in one run, are the comparable numbers; "by CPU time" compares the two JS trainers' process CPU time per epoch, which a loaded machine disturbs less than wall time).\n\n${lines.join("\n")}\n\n${notes.join("\n")}\n\nTwo tfjs-layers 4.22 columns. **Same kernels** (the strict comparison): tfjs-layers in this process, on the same WASM backend with the same kernels (ours registered, the same thread count), the same weights and batches. **As installed** (what a user of tfjs-layers gets): its own process (src/training-stock-child.ts), stock @tensorflow/tfjs-backend-wasm with none of our kernels, tfjs's own thread count in Node (one: it never starts its threaded build there), the same starting weights as ours (handed over in files). It measures \`predict\` first, before and apart from training, so every workload has a predict time. Stock WASM has no kernel for Conv2D's filter gradient (\`Conv2DBackpropFilter\`) or the embedding gradient (\`UnsortedSegmentSum\`): such a model cannot train on WASM at all; the one way it runs is with tfjs-backend-cpu's kernels for the missing ones (inputs copied to the CPU backend and back), timed over one \`trainOnBatch\` step, the epoch's CPU time scaled from it (a bound when no step finishes in TRAIN_BENCH_STOCK_TIMEOUT seconds). The ratios in bold are samples/s (fit) or time (predict) ratios; in parentheses, by process CPU time. Targets (issue 14): fit >= 1/3 of Keras's samples/s and >= 10x tfjs-layers's; predict <= 0.6x tfjs-layers's time. The tfjs-layers targets refer to the **as installed** column: the issue's own measure ("Dense models train fast, about 7x tfjs-layers") is tfjs-layers as a user installs it; the same-kernels column is the stricter extra comparison (it credits tfjs-layers with this project's kernels and threads).`;
  console.log(md);
  if (env === undefined || env === "") writeBenchSection("training", md);
  else writeBenchSection("training-threads", md, `KERASTORE_WASM_THREADS=${env} pnpm bench training`);
}
