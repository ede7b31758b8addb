import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, type NumericHostTensor, readNpy, writeNpy } from "@kerastore/core";
import * as engine from "@kerastore/engine";
import { fixturePath, modelFixtures, readFixtureNpy, realworld } from "@kerastore/fixtures";
import { readTflite, writeTflite } from "@kerastore/tflite";
import { type TfliteConvertOptions, createTfliteRunner, lowerToTflite } from "@kerastore/tflite-lowering";
import { type SavableModel, keras } from "kerastore";
import { readFileSync } from "node:fs";
// The models the lowering's unit tests run in our interpreter: every lowering is in one of them.
import { cnn, grid, hybrid, mlp, rnn } from "../../tflite-lowering/src/tflite-models.test-util.js";
import { beforeAll, describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

/**
 * `.tflite` files Kerastore writes, run by TensorFlow Lite's own interpreter (`tf.lite.Interpreter`
 * of TensorFlow 2.21): from the golden model fixtures and the real-world CNN, MLP and RNN files,
 * outputs equal Keras's recorded ones to 1e-5 (float32); float16 and dynamic-range int8 files
 * within the error Python's converter shows for the same model and input. Python's converter
 * runs in the same process, on the same model saved as `.keras` by Kerastore.
 */
const PY_RUN = `
import json, os, sys, warnings
warnings.simplefilter("ignore")
import numpy as np, tensorflow as tf, keras

def run(interp, xs):
    details = interp.get_input_details()
    for d, x in zip(details, xs):
        if list(d["shape"]) != list(x.shape):
            interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), xs):
        interp.set_tensor(d["index"], x.astype(d["dtype"]))
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]

def err(outs, ys):
    if len(outs) != len(ys):
        return None
    worst = 0.0
    for a, b in zip(outs, ys):
        if a.shape != b.shape:
            return None
        worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b) / np.maximum(1.0, np.abs(b)))))
    return worst

result = {}
for d in sys.argv[1:]:
    case = json.load(open(os.path.join(d, "case.json")))
    xs = [np.load(os.path.join(d, f)) for f in case["inputs"]]
    ys = [np.load(os.path.join(d, f)).astype(np.float64) for f in case["expected"]]
    r = {"ours": {}, "python": {}, "ops": {}}
    for mode in case["modes"]:
        interp = tf.lite.Interpreter(model_path=os.path.join(d, f"{mode}.tflite"))
        r["ours"][mode] = err(run(interp, xs), ys)
        r["ops"][mode] = sorted({o["op_name"] for o in interp._get_ops_details()})
    if case.get("keras"):
        model = keras.models.load_model(os.path.join(d, case["keras"]), compile=False)
        # Fixed shapes, as our files have them (the converter cannot lower an LSTM of unknown batch).
        fixed_in = [keras.Input(batch_shape=x.shape, dtype=model.inputs[k].dtype) for k, x in enumerate(xs)]
        fixed = keras.Model(fixed_in, model(fixed_in if len(fixed_in) > 1 else fixed_in[0]))
        for mode in case["modes"]:
            converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
            if mode == "float16":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
                converter.target_spec.supported_types = [tf.float16]
            elif mode == "dynamic-range":
                converter.optimizations = [tf.lite.Optimize.DEFAULT]
            flat = converter.convert()
            outs = run(tf.lite.Interpreter(model_content=flat), xs)
            r["python"][mode] = err(outs, ys)
            # Python's file and what TF Lite computed with it, for Kerastore's reader and interpreter.
            open(os.path.join(d, f"python-{mode}.tflite"), "wb").write(flat)
            for k, o in enumerate(outs):
                np.save(os.path.join(d, f"python-{mode}-out{k}.npy"), o)
    result[case["name"]] = r
print(json.dumps(result))
`;

type Mode = "float32" | "float16" | "dynamic-range";
interface Outcome {
  ours: Partial<Record<Mode, number | null>>;
  python: Partial<Record<Mode, number | null>>;
  ops: Partial<Record<Mode, string[]>>;
}
interface Case {
  name: string;
  model: () => Promise<SavableModel | engine.Model>;
  inputs: () => NumericHostTensor[];
  /** Keras's outputs for the inputs; Kerastore's predict when undefined. */
  expected?: () => NumericHostTensor[];
  /** Also convert with Python's converter in each mode, from this .keras file (else the model saved as .keras). */
  python?: boolean;
  keras?: string;
  modes: Mode[];
}

const ALL: Mode[] = ["float32", "float16", "dynamic-range"];
const rw = realworld();

/** Golden fixtures whose layers have no TFLite lowering, with the layer the error names. */
const UNLOWERED: Record<string, RegExp> = {};

function fixtureCases(): Case[] {
  return modelFixtures()
    .filter((f) => UNLOWERED[f.name] === undefined)
    .map((f) => ({
      name: `fixture ${f.name}`,
      model: () => keras.models.loadModel(fixturePath("models", f.name, "model.keras")),
      inputs: () => Array.from({ length: f.inputs }, (_, i) => readFixtureNpy("models", f.name, `input${i}.npy`)),
      expected: () => Array.from({ length: f.outputs }, (_, i) => readFixtureNpy("models", f.name, `output${i}.npy`)),
      python: ["conv", "mlp_sequential", "lstm"].includes(f.name),
      modes: ["conv", "mlp_sequential", "lstm"].includes(f.name) ? ALL : ["float32"],
    }));
}

/** The real-world models with a Keras reference (MANIFEST.md): CNNs, MLPs and RNNs. */
const REALWORLD: { file: string; architecture?: string; python?: boolean }[] = [
  { file: "A-I-nstein__mnist_cnn__cnn_model.h5" },
  { file: "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5" },
  {
    file: "Aaronvpp__LSTM-Name-Classification__model.h5",
    architecture: "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5",
  },
  { file: "AdamVenroy__sentiment-classifer__model.keras" },
  { file: "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5" },
  // Keras 3 loads this one as it is: Python's converter gets the very file.
  { file: "Aman-21k__cnn-fashion-mnist-classifier__model.keras", python: true },
  { file: "HsinM__mnist-NCS__model.h5" },
  { file: "HsinM__mnist-NCS__weights.h5", architecture: "HsinM__mnist-NCS__model.h5" },
  { file: "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5" },
  { file: "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5" },
  { file: "VKapitany__CNN_Introduction__mnist_cnn.h5" },
  {
    file: "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5",
    architecture: "fastmachinelearning__example-models__KERAS_3layer_batch_norm.json",
  },
];

function realworldCases(): Case[] {
  const dir = rw.dir;
  if (dir === undefined) return [];
  const stem = (file: string) => file.replace(/\.(h5|keras)$/, "");
  return REALWORLD.map((r) => ({
    name: `real-world ${r.file}`,
    model: async () => {
      if (r.architecture === undefined) return keras.models.loadModel(join(dir, r.file));
      const model = await keras.models.loadModel(join(dir, r.architecture));
      await model.loadWeights(join(dir, r.file));
      return model;
    },
    inputs: () => [readNpy(readFileSync(join(dir, `${stem(r.file)}.input0.npy`))) as NumericHostTensor],
    expected: () => [readNpy(readFileSync(join(dir, `${stem(r.file)}.output0.npy`))) as NumericHostTensor],
    python: r.python === true,
    ...(r.python === true ? { keras: join(dir, r.file) } : {}),
    modes: r.python === true ? ALL : ["float32"],
  }));
}

const ENGINE_CASES: Case[] = [
  {
    name: "MLP with every merge",
    model: async () => mlp(),
    inputs: () => [grid([3, 6], 7) as NumericHostTensor],
    modes: ALL,
  },
  {
    name: "CNN with every convolution",
    model: async () => cnn(),
    inputs: () => [grid([2, 8, 8, 2], 8) as NumericHostTensor],
    modes: ALL,
  },
  {
    name: "unrolled SimpleRNN, LSTM and GRU",
    model: async () => rnn(),
    inputs: () => [grid([2, 5, 3], 9) as NumericHostTensor],
    modes: ALL,
  },
  // Its large CONV_2D and FULLY_CONNECTED weights become int8: TF Lite runs them as hybrid ops.
  {
    name: "CNN with int8-sized weights",
    model: async () => hybrid(),
    inputs: () => [grid([2, 8, 8, 3], 10) as NumericHostTensor],
    python: true,
    modes: ALL,
  },
];

const CASES = [...ENGINE_CASES, ...fixtureCases(), ...realworldCases()];

describe("TFLite files Kerastore writes, run by TensorFlow Lite's interpreter", () => {
  let result: Record<string, Outcome>;
  const ours: Record<string, { interpreter: number }> = {};
  const root = mkdtempSync(join(tmpdir(), "kerastore-tflite-"));

  beforeAll(async () => {
    await keras.ready();
    const dirs: string[] = [];
    for (const [i, c] of CASES.entries()) {
      engine.clearSession();
      const model = (await c.model()) as engine.Model;
      const xs = c.inputs();
      const expected =
        c.expected?.() ??
        (() => {
          const y = model.predict((xs.length === 1 ? xs[0]! : xs) as never) as unknown as HostTensor | HostTensor[];
          return (Array.isArray(y) ? y : [y]) as NumericHostTensor[];
        })();
      const dir = join(root, `case_${i}`);
      mkdirSync(dir);
      const batchSize = xs[0]!.shape[0]!;
      for (const mode of c.modes) {
        // A model built for any sequence length is fixed to the input's, as Python's converter
        // fixes it from a concrete function.
        const dynamic = model.inputs.some((t) => t.shape.slice(1).some((d) => d === null));
        const options: TfliteConvertOptions = {
          batchSize,
          quantize: mode === "float32" ? "none" : mode,
          ...(dynamic ? { inputShapes: xs.map((x) => x.shape) } : {}),
        };
        writeFileSync(join(dir, `${mode}.tflite`), writeTflite(lowerToTflite(model, options)));
      }
      // Our own interpreter on the float32 file, against the same reference.
      const runner = createTfliteRunner(readTflite(readFileSync(join(dir, "float32.tflite"))));
      const got = runner.predict(xs);
      runner.dispose();
      let worst = 0;
      for (const [k, y] of expected.entries()) {
        const a = got[k]!.data as Float32Array;
        for (let j = 0; j < y.data.length; j++)
          worst = Math.max(worst, Math.abs(a[j]! - Number(y.data[j])) / Math.max(1, Math.abs(Number(y.data[j]))));
      }
      ours[c.name] = { interpreter: worst };
      if (c.python === true && c.keras === undefined) await keras.models.saveModel(model, join(dir, "model.keras"));
      for (const [k, x] of xs.entries()) writeFileSync(join(dir, `in${k}.npy`), writeNpy(x));
      for (const [k, y] of expected.entries()) writeFileSync(join(dir, `out${k}.npy`), writeNpy(y));
      writeFileSync(
        join(dir, "case.json"),
        JSON.stringify({
          name: c.name,
          modes: c.modes,
          inputs: xs.map((_, k) => `in${k}.npy`),
          expected: expected.map((_, k) => `out${k}.npy`),
          keras: c.python === true ? (c.keras ?? "model.keras") : undefined,
        }),
      );
      dirs.push(dir);
    }
    result = await runPythonJson<Record<string, Outcome>>(PY_RUN, { args: dirs });
    if (process.env.TFLITE_DEBUG) console.log("TFLITE_RESULT", JSON.stringify({ result, ours }));
  }, 900_000);

  for (const c of CASES) {
    it(`${c.name}: tf.lite.Interpreter equals Keras to 1e-5 (float32), and so does Kerastore's interpreter`, () => {
      const r = result[c.name]!;
      expect(r.ours.float32).not.toBeNull();
      expect(r.ours.float32!).toBeLessThanOrEqual(1e-5);
      expect(ours[c.name]!.interpreter).toBeLessThanOrEqual(1e-5);
    });
    if (c.modes.length > 1) {
      it(`${c.name}: float16 and dynamic-range files stay within the error ${c.python ? "Python's converter shows" : "of their quantization"}`, () => {
        const r = result[c.name]!;
        for (const mode of ["float16", "dynamic-range"] as const) {
          const got = r.ours[mode];
          expect(got, mode).not.toBeNull();
          // Without a Python twin: float16 keeps ~3 decimal digits, int8 weights ~2.
          const bound = c.python
            ? Math.max(2 * r.python[mode]!, mode === "float16" ? 1e-3 : 1e-2)
            : mode === "float16"
              ? 1e-2
              : 1e-1;
          expect(got!, mode).toBeLessThanOrEqual(bound);
        }
        expect(r.ops["dynamic-range"]).toBeDefined();
      });
    }
  }
  for (const c of CASES.filter((c) => c.python === true)) {
    it(`${c.name}: the files Python's converter wrote read back and run in Kerastore's interpreter as TF Lite ran them`, () => {
      const dir = join(root, `case_${CASES.indexOf(c)}`);
      for (const mode of c.modes) {
        const path = `python-${mode}.tflite`;
        const model = readTflite(readFileSync(join(dir, path)), { path });
        if (c.name === "fixture lstm") {
          // Keras 3's LSTM converts to a WHILE loop over subgraphs, which the interpreter does not
          // run (yet): it must say so, naming the operator.
          expect(() => createTfliteRunner(model, { path }), mode).toThrow(
            /cannot run python-.*\.tflite: operator \d+ is WHILE, which the interpreter does not run/,
          );
          continue;
        }
        const runner = createTfliteRunner(model, { path });
        const got = runner.predict(c.inputs());
        runner.dispose();
        for (const [k, y] of got.entries()) {
          const want = readNpy(readFileSync(join(dir, `python-${mode}-out${k}.npy`))) as NumericHostTensor;
          expect(y.shape, mode).toEqual(want.shape);
          let worst = 0;
          for (let j = 0; j < want.data.length; j++)
            worst = Math.max(
              worst,
              Math.abs(Number(y.data[j]) - Number(want.data[j])) / Math.max(1, Math.abs(Number(want.data[j]))),
            );
          // Hybrid int8 ops quantize their inputs too; Kerastore computes them in float.
          expect(worst, mode).toBeLessThanOrEqual(mode === "dynamic-range" ? 1e-2 : 1e-5);
        }
      }
    });
  }
  // Reported only where ../shared is absent (the one allowed skip).
  if (rw.dir === undefined) it.skip(`real-world files (skipped: ${rw.missing})`, () => {});
});
