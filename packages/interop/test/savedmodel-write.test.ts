import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, hostTensor, writeNpy } from "@kerastore/core";
import * as engine from "@kerastore/engine";
import { type SavableModel, keras } from "kerastore";
// The same models the facade's own SavedModel tests run in our graph runner.
import {
  breadth,
  cnn,
  grid,
  mlp,
  multiIO,
  nested,
  recurrentModel,
  reshaping,
  zoo,
} from "../../kerastore/src/savedmodel/savedmodel-models.test-util.js";
import { beforeAll, describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

/**
 * SavedModel directories Kerastore writes (`model.save("my_model")`), opened by TensorFlow 2.21:
 * `tf.saved_model.load(dir).signatures["serving_default"](**inputs)` and the guide's `loaded(x)`
 * must equal Kerastore's own predict to 1e-5 for an MLP, a CNN, a two-input two-output
 * functional model, a model nesting a Sequential and a functional block, a "zoo" (Conv1D
 * causal and strided, Permute, Rescaling, ZeroPadding2D, depthwise and separable convolutions,
 * inputs whose names are not in model order), a model of padding, cropping, up-sampling,
 * transposed convolutions, 1D pooling and RepeatVector, SimpleRNN/LSTM/GRU/Bidirectional/TimeDistributed, and a
 * trained model;
 * `tf.train.load_checkpoint` reads `variables/variables` with the keys tf.keras 2's
 * save_weights gives; `saved_model_cli show --all` runs cleanly.
 */
const PY_CHECK = `
import json, os, subprocess, sys
import numpy as np, tensorflow as tf, keras

result = {}
for d in sys.argv[1:]:
    case = json.load(open(os.path.join(d, "case.json")))
    sm = os.path.join(d, "my_model")
    loaded = tf.saved_model.load(sm)
    fn = loaded.signatures["serving_default"]
    inputs = {k: tf.constant(np.load(os.path.join(d, f"in_{k}.npy"))) for k in case["inputs"]}
    out = fn(**inputs)
    diffs = {k: float(np.max(np.abs(out[k].numpy() - np.load(os.path.join(d, f"{k}.npy"))))) for k in case["outputs"]}
    # The guide's tensorflow_graph(x): the root's __call__, a list for several inputs.
    order = [spec.name for spec in tf.nest.flatten(loaded.__call__.concrete_functions[0].structured_input_signature[0])]
    arg = [inputs[n] for n in order]
    called = loaded(arg if len(arg) > 1 else arg[0])
    called = list(called) if isinstance(called, (list, tuple)) else [called]
    call_diffs = [float(np.max(np.abs(c.numpy() - np.load(os.path.join(d, f"output_{i}.npy"))))) for i, c in enumerate(called)]
    # Keras 3's way into a SavedModel: TFSMLayer on the __call__ endpoint.
    layer = keras.layers.TFSMLayer(sm, call_endpoint="__call__")
    via_layer = layer(arg if len(arg) > 1 else arg[0])
    via_layer = list(via_layer) if isinstance(via_layer, (list, tuple)) else [via_layer]
    layer_diffs = [float(np.max(np.abs(np.asarray(c) - np.load(os.path.join(d, f"output_{i}.npy"))))) for i, c in enumerate(via_layer)]
    reader = tf.train.load_checkpoint(os.path.join(sm, "variables", "variables"))
    keys = sorted(reader.get_variable_to_shape_map().keys())
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    shown = subprocess.run([cli, "show", "--dir", sm, "--all"], capture_output=True, text=True)
    result[case["name"]] = {
        "outputs": sorted(out.keys()),
        "diffs": diffs,
        "callDiffs": call_diffs,
        "layerDiffs": layer_diffs,
        "inputs": {k: [str(v.dtype.name), v.shape.as_list()] for k, v in fn.structured_input_signature[1].items()},
        "keys": keys,
        "cli": shown.returncode,
        "cliOut": shown.stdout,
        "cliErr": shown.stderr[-2000:] if shown.returncode else "",
    }
print(json.dumps(result))
`;

const CASES: { name: string; model: () => SavableModel; inputs: Record<string, HostTensor>; train?: boolean }[] = [
  { name: "mlp", model: mlp, inputs: { features: grid([5, 6], 101) } },
  { name: "cnn", model: cnn, inputs: { image: grid([3, 8, 8, 2], 102) } },
  {
    name: "multi_io",
    model: multiIO,
    inputs: {
      left: grid([4, 4], 103),
      tokens: hostTensor("int32", [4, 3], Int32Array.from([0, 3, 9, 1, 1, 2, 8, 7, 5, 4, 6, 0])),
    },
  },
  { name: "nested", model: nested, inputs: { x: grid([4, 5], 104) } },
  {
    name: "zoo",
    model: zoo,
    inputs: {
      sequence: grid([2, 12, 3], 106),
      pixels: hostTensor(
        "float32",
        [2, 7, 7, 3],
        new Float32Array(294).map((_, k) => (k * 37) % 256),
      ),
    },
  },
  { name: "reshaping", model: reshaping, inputs: { seq: grid([2, 10, 3], 107), img: grid([2, 5, 6, 2], 108) } },
  { name: "recurrent", model: recurrentModel, inputs: { steps: grid([3, 5, 3], 109) } },
  { name: "breadth", model: breadth, inputs: { img: grid([2, 6, 5, 2], 111), seq: grid([2, 7, 3], 112) } },
  { name: "trained", model: mlp, inputs: { features: grid([5, 6], 105) }, train: true },
];

interface Checked {
  outputs: string[];
  diffs: Record<string, number>;
  callDiffs: number[];
  layerDiffs: number[];
  inputs: Record<string, [string, (number | null)[]]>;
  keys: string[];
  cli: number;
  cliOut: string;
  cliErr: string;
}

describe("SavedModels Kerastore writes, loaded by TensorFlow", () => {
  let result: Record<string, Checked>;
  const root = mkdtempSync(join(tmpdir(), "kerastore-smw-"));

  beforeAll(async () => {
    await keras.ready();
    const dirs: string[] = [];
    for (const c of CASES) {
      engine.clearSession();
      const model = c.model();
      if (c.train === true) {
        // Compiled and trained: the optimizer's variables go into variables/ too.
        model.compile({ optimizer: "adam", loss: "categorical_crossentropy" });
        await model.fit(
          grid([8, 6], 7),
          hostTensor(
            "float32",
            [8, 3],
            new Float32Array(24).map((_, i) => (i % 3 === 0 ? 1 : 0)),
          ),
          { epochs: 2, batchSize: 4, verbose: 0 },
        );
      }
      const dir = join(root, c.name);
      await model.save(join(dir, "my_model"));
      const ordered = model.inputs.map((t) => c.inputs[t.history.layer.name]!);
      const predicted = model.predict(ordered.length === 1 ? ordered[0]! : ordered);
      const outputs = Array.isArray(predicted) ? predicted : [predicted];
      for (const [k, v] of Object.entries(c.inputs)) writeFileSync(join(dir, `in_${k}.npy`), writeNpy(v as never));
      for (const [i, v] of outputs.entries()) writeFileSync(join(dir, `output_${i}.npy`), writeNpy(v as never));
      writeFileSync(
        join(dir, "case.json"),
        JSON.stringify({ name: c.name, inputs: Object.keys(c.inputs), outputs: outputs.map((_, i) => `output_${i}`) }),
      );
      dirs.push(dir);
    }
    result = await runPythonJson<Record<string, Checked>>(PY_CHECK, { args: dirs });
  }, 600_000);

  for (const c of CASES) {
    it(`${c.name}: signatures["serving_default"](**inputs) equals Kerastore's predict to 1e-5`, () => {
      const r = result[c.name]!;
      expect(Object.keys(r.inputs).sort()).toEqual(Object.keys(c.inputs).sort());
      expect(r.outputs).toEqual(Object.keys(r.diffs).sort());
      expect(r.outputs.length).toBeGreaterThan(0);
      for (const [k, d] of Object.entries(r.diffs)) expect(d, k).toBeLessThanOrEqual(1e-5);
    });

    it(`${c.name}: the loaded object called as the guide calls it (tensorflow_graph(x)) equals predict to 1e-5`, () => {
      const r = result[c.name]!;
      expect(r.callDiffs.length).toBe(r.outputs.length);
      for (const [i, d] of r.callDiffs.entries()) expect(d, `output ${i}`).toBeLessThanOrEqual(1e-5);
    });

    it(`${c.name}: Keras 3's TFSMLayer(dir, call_endpoint="__call__") equals predict to 1e-5`, () => {
      const r = result[c.name]!;
      expect(r.layerDiffs.length).toBe(r.outputs.length);
      for (const [i, d] of r.layerDiffs.entries()) expect(d, `output ${i}`).toBeLessThanOrEqual(1e-5);
    });

    it(`${c.name}: saved_model_cli show --all runs cleanly and shows serving_default`, () => {
      const r = result[c.name]!;
      expect(r.cliErr).toBe("");
      expect(r.cli).toBe(0);
      expect(r.cliOut).toContain("signature_def['serving_default']");
      for (const k of Object.keys(c.inputs)) expect(r.cliOut).toContain(`inputs['${k}']`);
    });
  }

  it("the two-input model keeps its input dtypes and shapes", () => {
    expect(result["multi_io"]!.inputs).toEqual({ left: ["float32", [null, 4]], tokens: ["int32", [null, 3]] });
  });

  it("a trained model's variables/ also holds its Adam state under tf.keras 2 names", () => {
    const keys = result["trained"]!.keys;
    expect(keys).toContain("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE");
    expect(keys).toContain("optimizer/learning_rate/.ATTRIBUTES/VARIABLE_VALUE");
    // iter, learning_rate, and m and v for each of the MLP's 10 variables (5 Dense layers).
    expect(keys.filter((k) => k.startsWith("optimizer/")).length).toBe(2 + 2 * 10);
  });

  it("tf.train.load_checkpoint lists the guide-style keys of variables/variables", () => {
    const keys = result["mlp"]!.keys;
    expect(keys).toContain("_CHECKPOINTABLE_OBJECT_GRAPH");
    expect(keys).toContain("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    expect(keys).toContain("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE");
    expect(keys).toContain("layer_with_weights-4/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    expect(keys.filter((k) => k.endsWith("VARIABLE_VALUE")).length).toBe(10);
    const nestedKeys = result["nested"]!.keys;
    expect(nestedKeys).toContain("layer_with_weights-0/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
    expect(nestedKeys).toContain("layer_with_weights-1/layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE");
  });
});

// Real-world files saved as SavedModels, run in TensorFlow against Keras's recorded outputs (and the
// Keras 2 hard_sigmoid LSTMs), are checked in write-realworld.test.ts with every other written format.
