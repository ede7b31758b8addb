import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { clearSession } from "@kerastore/engine";
import { realworld } from "@kerastore/fixtures";
import { writeTflite } from "@kerastore/tflite";
import { lowerToTflite } from "@kerastore/tflite-lowering";
import { keras } from "kerastore";
import { medianMs, writeBenchSection } from "./report.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The largest real-world file (3.3 MB, a CNN written by Keras 3.13), which Keras 3.15 loads as it is. */
const FILE = "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5";
const RUNS = 5;

/** Python's converter on the same file: load_model + TFLiteConverter (batch fixed to 1) + write, and the convert step alone. */
function python(path: string, out: string): { total: number; convert: number } | string {
  const code = `
import os, time, json, warnings
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
warnings.simplefilter("ignore")
import tensorflow as tf, keras
def once():
    t0 = time.perf_counter()
    model = keras.models.load_model(${JSON.stringify(path)}, compile=False)
    fixed_in = keras.Input(batch_shape=(1,) + tuple(model.inputs[0].shape[1:]))
    fixed = keras.Model(fixed_in, model(fixed_in))
    t1 = time.perf_counter()
    flat = tf.lite.TFLiteConverter.from_keras_model(fixed).convert()
    t2 = time.perf_counter()
    open(${JSON.stringify(out)}, "wb").write(flat)
    t3 = time.perf_counter()
    return t3 - t0, t2 - t1
once()
runs = sorted(once() for _ in range(${RUNS}))
totals = sorted(r[0] for r in runs)
converts = sorted(r[1] for r in runs)
print(json.dumps({"total": totals[len(totals) // 2] * 1000, "convert": converts[len(converts) // 2] * 1000}))
`;
  try {
    const py = execFileSync("node", [resolve(repo, "scripts/pyref.mjs")], { encoding: "utf8" }).trim();
    const text = execFileSync(py, ["-c", code], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return JSON.parse(text.trim().split("\n").pop()!) as { total: number; convert: number };
  } catch (error) {
    return `not measured (${(error as Error).message.split("\n")[0]})`;
  }
}

export async function run(): Promise<void> {
  const rw = realworld();
  if (rw.dir === undefined) {
    console.log(`skipped: ${rw.missing}`);
    return;
  }
  await keras.ready();
  const path = join(rw.dir, FILE);
  const dir = mkdtempSync(join(tmpdir(), "kerastore-bench-tflite-"));
  let convertOnly = 0;
  const once = async () => {
    clearSession();
    const model = await keras.models.loadModel(path);
    const t0 = performance.now();
    const bytes = writeTflite(lowerToTflite(model));
    convertOnly = performance.now() - t0;
    writeFileSync(join(dir, "ours.tflite"), bytes);
    for (const w of model.weights) w.value.dispose();
  };
  await once();
  const converts: number[] = [];
  const total = await medianMs(async () => {
    await once();
    converts.push(convertOnly);
  }, RUNS);
  converts.sort((a, b) => a - b);
  const convert = converts[Math.floor(converts.length / 2)]!;
  const py = python(path, join(dir, "python.tflite"));
  const sizes = {
    ours: statSync(join(dir, "ours.tflite")).size,
    python: typeof py === "string" ? 0 : statSync(join(dir, "python.tflite")).size,
  };
  rmSync(dir, { recursive: true, force: true });
  const fmt = (ms: number) => ms.toFixed(0);
  const row = (what: string, ours: number, theirs: number | undefined) =>
    `| ${what} | ${fmt(ours)} | ${theirs === undefined ? "-" : fmt(theirs)} | ${theirs === undefined ? "-" : `${(ours / theirs).toFixed(3)}x`} |`;
  const table = [
    `### .h5 to .tflite: ${FILE} (${(statSync(path).size / 2 ** 20).toFixed(1)} MB, the largest real-world file), median of ${RUNS}`,
    "",
    "| step | Kerastore ms | Python tf.lite.TFLiteConverter ms | ratio |",
    "| --- | --- | --- | --- |",
    row("load the .h5, convert, write the .tflite", total, typeof py === "string" ? undefined : py.total),
    row("convert only (lower + serialize the flatbuffer)", convert, typeof py === "string" ? undefined : py.convert),
    "",
    typeof py === "string"
      ? `Python: ${py}.`
      : `File sizes: Kerastore ${sizes.ours.toLocaleString("en-US")} bytes, Python ${sizes.python.toLocaleString("en-US")} bytes. Python runs TensorFlow 2.21 natively (its MLIR converter traces the Keras model to a graph first).`,
  ].join("\n");
  console.log(table);
  writeBenchSection("tflite", table);
}
