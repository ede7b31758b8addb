// Training and inference of the four workloads of ./workloads.ts (MLP, the MNIST CNN of a
// real-world file, Embedding + LSTM text classifier, small ResNet) on the WASM backend: the
// engine against tfjs-layers 4.22 (same backend, same weights, same batches, their epochs taking
// turns) and Python Keras 3 on TensorFlow CPU (same architecture and batch), all in this run.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Input,
  type KerasTensor,
  Model,
  clearSession,
  deserializeLayer,
  initBackend,
  registerGradients,
  tf,
  wasmThreading,
} from "@kerastore/engine";
import * as tfl from "@tensorflow/tfjs-layers";
import { keras } from "kerastore";
import { writeBenchSection } from "./report.js";
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

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const factory = (cls: string) =>
  cls === cls.toUpperCase() ? cls.toLowerCase() : cls[0]!.toLowerCase() + cls.slice(1).replace(/(\d)D$/, "$1d");

export function layersModel(w: Workload): tfl.LayersModel {
  const input = tfl.input({ shape: w.input, dtype: w.vocab === undefined ? "float32" : "int32" });
  const made = new Map<string, tfl.SymbolicTensor>();
  let last = input;
  for (const l of w.layers) {
    const from = l.inputs?.map((n) => made.get(n)!) ?? [last];
    // tfjs-layers's Orthogonal initializer needs tfjs's chained-op API, absent here; the weights
    // are ours anyway (set below).
    const init = ["LSTM", "GRU", "SimpleRNN"].includes(l.cls) ? { recurrent_initializer: "zeros" } : {};
    const config = {
      ...Object.fromEntries(
        Object.entries({ ...l.config, ...init }).map(([k, v]) => [camel(k), typeof v === "string" ? camel(v) : v]),
      ),
      name: `tfl_${l.name}`,
    };
    const make = (tfl.layers as unknown as Record<string, (c: unknown) => tfl.layers.Layer>)[factory(l.cls)];
    if (make === undefined) throw new Error(`tfjs-layers has no ${factory(l.cls)} layer`);
    last = make(config).apply(from.length === 1 ? from[0]! : from) as tfl.SymbolicTensor;
    made.set(l.name, last);
  }
  return tfl.model({ inputs: input, outputs: last });
}

function data(w: Workload): { x: tf.Tensor; y: tf.Tensor } {
  const n = w.batch * w.steps;
  const x =
    w.vocab === undefined
      ? tf.randomUniform([n, ...w.input], 0, 1, "float32", 1)
      : tf.randomUniform([n, ...w.input], 0, w.vocab, "int32", 1);
  const labels = tf.randomUniform([n], 0, w.classes === 1 ? 2 : w.classes, "int32", 2) as tf.Tensor1D;
  const y =
    w.classes === 1 ? tf.cast(tf.reshape(labels, [n, 1]), "float32") : tf.cast(tf.oneHot(labels, w.classes), "float32");
  return { x, y };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

function python(w: Workload): { fit: number; predict: number } | string {
  const code = `
import os, sys, time, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
w = json.loads(sys.stdin.read())
n = w["batch"] * w["steps"]
rng = np.random.default_rng(1)
x = rng.integers(0, w["vocab"], (n, *w["input"])).astype("int32") if w.get("vocab") else rng.uniform(size=(n, *w["input"])).astype("float32")
labels = np.random.default_rng(2).integers(0, 2 if w["classes"] == 1 else w["classes"], n)
y = labels.reshape(n, 1).astype("float32") if w["classes"] == 1 else np.eye(w["classes"], dtype="float32")[labels]
inp = keras.Input(tuple(w["input"]), dtype="int32" if w.get("vocab") else "float32")
made, last = {}, inp
for l in w["layers"]:
    src = [made[s] for s in l["inputs"]] if "inputs" in l else [last]
    last = getattr(keras.layers, l["cls"])(**l["config"], name=l["name"])(src[0] if len(src) == 1 else src)
    made[l["name"]] = last
m = keras.Model(inp, last)
m.compile(optimizer="adam", loss=w["loss"])
m.fit(x, y, batch_size=w["batch"], epochs=1, verbose=0, shuffle=False)
m.predict(x, batch_size=w["batch"], verbose=0)
fit, pred = [], []
for _ in range(${ROUNDS}):
    t0 = time.perf_counter(); m.fit(x, y, batch_size=w["batch"], epochs=1, verbose=0, shuffle=False); fit.append(n / (time.perf_counter() - t0))
    t0 = time.perf_counter(); m.predict(x, batch_size=w["batch"], verbose=0); pred.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"fit": sorted(fit)[len(fit) // 2], "predict": sorted(pred)[len(pred) // 2]}))
`;
  try {
    const py = execFileSync("node", [resolve(repo, "scripts/pyref.mjs")], { encoding: "utf8" }).trim();
    const out = execFileSync(py, ["-c", code], {
      encoding: "utf8",
      input: JSON.stringify(w),
      stdio: ["pipe", "pipe", "ignore"],
    });
    return JSON.parse(out.trim().split("\n").pop()!) as { fit: number; predict: number };
  } catch (error) {
    return `not measured (${(error as Error).message.split("\n")[0]})`;
  }
}

interface Row {
  w: Workload;
  /** tfjs-layers's CPU time per epoch over ours. */
  cpuRatio: number;
  oursFit: number;
  tflFit: number;
  oursPredict: number;
  tflPredict: number;
  py: { fit: number; predict: number } | string;
  weights: string;
}

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
  const keyOf = new Map(
    other.layers.flatMap((l) =>
      l.weights.map((lv) => [lv, `${l.name.replace(/^tfl_/, "")}/${lv.originalName.split("/").pop()}`] as const),
    ),
  );
  other.setWeights(
    other.weights.map((lv) => {
      const mine = byName.get(keyOf.get(lv) ?? "");
      if (mine === undefined || mine.shape.join("x") !== lv.shape.join("x"))
        throw new Error(`${w.key}: no weight of ours matches tfjs-layers's ${lv.originalName} [${lv.shape}]`);
      return mine.value.clone();
    }),
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
  // Who goes first alternates by round (what runs after a fit pays for its garbage).
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
  for (let r = 0; r < ROUNDS; r++) {
    for (const round of r % 2 === 0 ? [oursRound, tflRound] : [tflRound, oursRound]) await round();
  }
  tf.dispose([x, y]);
  other.dispose();
  const row = {
    w,
    cpuRatio: median(runs.tflCpu) / median(runs.oursCpu),
    oursFit: median(runs.oursFit),
    tflFit: median(runs.tflFit),
    oursPredict: median(runs.oursPredict),
    tflPredict: median(runs.tflPredict),
    py: python(w),
    weights,
  };
  console.log(w.key, JSON.stringify({ ...row, w: undefined }));
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
  const threadNote =
    threads > 1
      ? `The WASM backend ran on ${threads} threads (\`KERASTORE_WASM_THREADS=${process.env.KERASTORE_WASM_THREADS}\`), tfjs-layers too (same process, same backend).`
      : "The WASM backend ran on one thread (the engine's default in Node, as tfjs alone runs it), tfjs-layers too (same process, same backend).";
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toLocaleString("en-US") : v.toFixed(1));
  const lines = [
    "| workload | batch | fit, ours (samples/s) | tfjs-layers | Keras (TF CPU) | ours / tfjs-layers | (by CPU time) | ours / Keras | predict, ours (ms) | tfjs-layers (ms) | Keras (ms) | ours / tfjs-layers time |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => {
      const py = typeof r.py === "string" ? undefined : r.py;
      return `| ${r.w.title} | ${r.w.batch} | ${fmt(r.oursFit)} | ${fmt(r.tflFit)} | ${py ? fmt(py.fit) : "-"} | **${(r.oursFit / r.tflFit).toFixed(2)}** | ${r.cpuRatio.toFixed(2)} | **${py ? (r.oursFit / py.fit).toFixed(2) : "-"}** | ${fmt(r.oursPredict)} | ${fmt(r.tflPredict)} | ${py ? fmt(py.predict) : "-"} | **${(r.oursPredict / r.tflPredict).toFixed(2)}** |`;
    }),
  ];
  const notes = rows.map(
    (r) =>
      `- ${r.w.key}: ${r.w.batch * r.w.steps} samples per epoch, ${r.weights}${typeof r.py === "string" ? `; Keras ${r.py}` : ""}.`,
  );
  const md = `### Training and inference: four workloads, Adam, ${threads} WASM thread${threads > 1 ? "s" : ""}\n\n${threadNote} Per workload and trainer: one warm-up epoch and prediction, then the median of ${ROUNDS} rounds (ours and tfjs-layers taking turns, each round an epoch then a prediction, who goes first alternating; Keras in its own process after them, same architecture, batch and data sizes). \`predict\` covers the epoch's samples at the same batch size, output read back. Load average ${load} on this shared 2-core machine (other jobs were running: the ratios, measured in one run, are the comparable numbers; "by CPU time" compares the two JS trainers' process CPU time per epoch, which a loaded machine disturbs less than wall time).\n\n${lines.join("\n")}\n\n${notes.join("\n")}\n\nTargets (issue 14): fit >= 1/3 of Keras's samples/s and >= 10x tfjs-layers's; predict <= 0.6x tfjs-layers's time. tfjs-layers runs on the same WASM backend with the same kernels, ours included: stock tfjs 4.22 has no WASM kernel for Conv2D's filter gradient or the embedding gradient (UnsortedSegmentSum), so without them tfjs-layers cannot train the CNNs or the text model on WASM at all, and with tfjs-backend-cpu's kernels in their place one MNIST CNN step of 32 images took 50 s (0.6 s with ours).`;
  console.log(md);
  if (threads === 1) writeBenchSection("training", md);
  else
    writeBenchSection(
      "training-threads",
      md,
      `KERASTORE_WASM_THREADS=${process.env.KERASTORE_WASM_THREADS} pnpm bench training`,
    );
}
