// Python Keras 3 on TensorFlow CPU for the training benchmark (./training.bench.ts): the
// workload's model built from the same layer list, compiled with Adam and the same loss, in a
// child process that stays up for the whole measurement of a workload, so its rounds take turns
// with ours (a round of each trainer in turn; a machine whose load changes during the run
// slows all of them alike instead of whichever ran in the slow minute).
//
// The child builds the model, runs one warm-up epoch and prediction (tracing), prints "ready",
// then for every line "round" on its stdin times one `fit` epoch (epochs=1, the benchmark's
// data, the workload's batch, no shuffle) and one `predict` of the same data and prints them as
// one JSON line { fit (samples/s), predict (ms) }. It exits when its stdin closes.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Workload } from "./workloads.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const CODE = `
import os, sys, time, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras
w = json.loads(sys.stdin.readline())
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
print("ready", flush=True)
for line in sys.stdin:
    t0 = time.perf_counter(); m.fit(x, y, batch_size=w["batch"], epochs=1, verbose=0, shuffle=False); fit = n / (time.perf_counter() - t0)
    t0 = time.perf_counter(); m.predict(x, batch_size=w["batch"], verbose=0); pred = (time.perf_counter() - t0) * 1000
    print(json.dumps({"fit": fit, "predict": pred}), flush=True)
`;

export interface KerasRound {
  fit: number;
  predict: number;
}

/** A running Keras child for one workload (see the file's comment). */
export class KerasChild {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly rl: Interface,
  ) {}

  /** Starts the child and waits for its warm-up; a string says why Keras cannot be measured. */
  static async start(w: Workload): Promise<KerasChild | string> {
    let py: string;
    try {
      py = execFileSync("node", [resolve(repo, "scripts/pyref.mjs")], { encoding: "utf8" }).trim();
    } catch (error) {
      return `not measured (${(error as Error).message.split("\n")[0]})`;
    }
    const child = spawn(py, ["-c", CODE], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const rl = createInterface({ input: child.stdout });
    const lines = rl[Symbol.asyncIterator]();
    child.stdin.write(`${JSON.stringify(w)}\n`);
    const first = await lines.next();
    if (first.done || first.value.trim() !== "ready") {
      child.kill();
      return `not measured (${stderr.trim().split("\n").pop() ?? "the Keras child ended"})`;
    }
    return new KerasChild(child, lines, rl);
  }

  /** One timed epoch and prediction. */
  async round(): Promise<KerasRound> {
    this.child.stdin.write("round\n");
    const line = await this.lines.next();
    if (line.done) throw new Error("the Keras child ended before a round finished");
    return JSON.parse(line.value) as KerasRound;
  }

  close(): void {
    this.child.stdin.end();
    this.rl.close();
  }
}
