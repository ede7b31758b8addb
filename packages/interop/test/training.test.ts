// Live round trips of training state with the Python reference: a run started in TypeScript
// continues in Keras 3 (TensorFlow), and a run started in Keras continues in TypeScript, with
// the same updates an uninterrupted run gives on the other side.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import {
  type TrainTarget,
  compile,
  dense,
  getOptimizer,
  initBackend,
  registerGradients,
  serializeOptimizer,
  tf,
  trainOnBatch,
} from "@kerastore/engine";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { runPythonJson } from "../src/index.js";

interface Fixture {
  weights: { path: string; shape: number[]; values: number[] }[];
  x: { shape: number[]; values: number[] }[];
  y: { shape: number[]; values: number[] };
}

interface State {
  weights: number[][];
  optimizer: JsonObject;
  optimizer_variables: { path: string; values: number[] }[];
}

const fixture = readFixtureJson("training/models/mlp.json") as unknown as Fixture;

// Python: rebuild the fixture MLP, load a state (weights + optimizer variables, Keras 3 order),
// train batches [start, end) of 8 samples, print the state.
const PY_CONTINUE = `
import json, sys
import numpy as np, keras
state = json.load(open(sys.argv[1]))
fixture = json.load(open(sys.argv[2]))
start, end = int(sys.argv[3]), int(sys.argv[4])
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu", name="hidden1"),
    keras.layers.Dense(8, activation="tanh", name="hidden2"), keras.layers.Dense(3, name="out")], name="mlp")
model.set_weights([np.asarray(w, "float32").reshape(v.shape) for w, v in zip(state["weights"], model.weights)])
opt = keras.saving.deserialize_keras_object(state["optimizer"])
model.compile(optimizer=opt, loss="mse")
# Build as apply() does, inside the optimizer's name scope (Nadam's scalar is then "nadam/variable").
with keras.name_scope(opt.name, caller=opt):
    opt.build(model.trainable_variables)
if state["optimizer_variables"]:
    assert [v.path for v in opt.variables] == [v["path"] for v in state["optimizer_variables"]], [v.path for v in opt.variables]
    for v, s in zip(opt.variables, state["optimizer_variables"]):
        v.assign(np.asarray(s["values"]).reshape(v.shape).astype(v.dtype))
x = np.asarray(fixture["x"][0]["values"], "float32").reshape(fixture["x"][0]["shape"])
y = np.asarray(fixture["y"]["values"], "float32").reshape(fixture["y"]["shape"])
for i in range(start, end):
    model.train_on_batch(x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8])
print(json.dumps({
    "weights": [np.asarray(w).reshape(-1).tolist() for w in model.get_weights()],
    "optimizer": keras.saving.serialize_keras_object(opt),
    "optimizer_variables": [{"path": v.path, "values": np.asarray(v).reshape(-1).tolist()} for v in opt.variables],
}))
`;

function mlp(weights: number[][]): TrainTarget & { vars: tf.Variable[] } {
  const vars = fixture.weights.map((w, i) => tf.variable(tf.tensor(weights[i]!, w.shape)));
  const v = (i: number) => vars[i]!;
  return {
    vars,
    trainableVariables: vars.map((value, i) => ({ value, path: fixture.weights[i]!.path })),
    forward: ([x]) => {
      const h1 = dense(x as tf.Tensor2D, v(0) as tf.Tensor2D, v(1) as tf.Tensor1D, "relu");
      const h2 = dense(h1, v(2) as tf.Tensor2D, v(3) as tf.Tensor1D, "tanh");
      return [dense(h2, v(4) as tf.Tensor2D, v(5) as tf.Tensor1D, "linear")];
    },
  };
}

const x = () => tf.tensor(fixture.x[0]!.values, fixture.x[0]!.shape);
const y = () => tf.tensor(fixture.y.values, fixture.y.shape);

function train(target: TrainTarget, compiled: ReturnType<typeof compile>, start: number, end: number): void {
  for (let i = start; i < end; i++)
    trainOnBatch(target, compiled, tf.slice(x(), [i * 8], [8]), tf.slice(y(), [i * 8], [8]));
}

function stateOf(target: { vars: tf.Variable[] }, compiled: ReturnType<typeof compile>): State {
  const values = compiled.optimizer.getWeights();
  return {
    weights: target.vars.map((v) => Array.from(v.dataSync())),
    optimizer: serializeOptimizer(compiled.optimizer),
    optimizer_variables: compiled.optimizer
      .variables()
      .map((v, i) => ({ path: v.path, values: Array.from(values[i]!, Number) })),
  };
}

async function python(state: State, start: number, end: number): Promise<State> {
  const dir = mkdtempSync(join(tmpdir(), "kerastore-training-"));
  writeFileSync(join(dir, "state.json"), JSON.stringify(state));
  writeFileSync(join(dir, "fixture.json"), JSON.stringify(fixture));
  return runPythonJson<State>(PY_CONTINUE, {
    args: [join(dir, "state.json"), join(dir, "fixture.json"), String(start), String(end)],
  });
}

const OPTIMIZERS: JsonObject[] = [
  {
    module: "keras.optimizers",
    class_name: "Adam",
    config: { learning_rate: 0.01, amsgrad: true },
    registered_name: null,
  },
  { module: "keras.optimizers", class_name: "Nadam", config: { learning_rate: 0.01 }, registered_name: null },
  {
    module: "keras.optimizers",
    class_name: "RMSprop",
    config: { learning_rate: 0.01, momentum: 0.5, centered: true },
    registered_name: null,
  },
  {
    module: "keras.optimizers",
    class_name: "SGD",
    config: { learning_rate: 0.05, momentum: 0.9, nesterov: true },
    registered_name: null,
  },
];

describe("training resumes across TypeScript and Keras 3", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
  });

  for (const opt of OPTIMIZERS) {
    it(`${opt.class_name}: started in TypeScript, continued in Keras`, async () => {
      const initial = fixture.weights.map((w) => w.values);
      const ours = mlp(initial);
      const compiled = compile({}, { optimizer: getOptimizer(opt), loss: "mse" });
      train(ours, compiled, 0, 4);
      const handoff = stateOf(ours, compiled);
      train(ours, compiled, 4, 8);
      const theirs = await python(handoff, 4, 8);
      expect(theirs.optimizer_variables.map((v) => v.path)).toEqual(handoff.optimizer_variables.map((v) => v.path));
      expectAllClose(stateOf(ours, compiled).weights, theirs.weights, { rtol: 1e-4, atol: 1e-7 });
      expectAllClose(
        stateOf(ours, compiled).optimizer_variables.map((v) => v.values),
        theirs.optimizer_variables.map((v) => v.values),
        { rtol: 1e-4, atol: 1e-7 },
      );
    });

    it(`${opt.class_name}: started in Keras, continued in TypeScript`, async () => {
      const initial = fixture.weights.map((w) => w.values);
      const fresh: State = { weights: initial, optimizer: opt, optimizer_variables: [] };
      const handoff = await python(fresh, 0, 4);
      const uninterrupted = await python(fresh, 0, 8);
      const ours = mlp(handoff.weights);
      const compiled = compile({}, { optimizer: getOptimizer(handoff.optimizer), loss: "mse" });
      compiled.optimizer.setWeights(
        handoff.optimizer_variables.map((v, i) =>
          i === 0 ? BigInt64Array.of(BigInt(v.values[0]!)) : Float32Array.from(v.values),
        ),
        ours.trainableVariables,
      );
      expect(compiled.optimizer.iterations).toBe(4);
      train(ours, compiled, 4, 8);
      expectAllClose(stateOf(ours, compiled).weights, uninterrupted.weights, { rtol: 1e-4, atol: 1e-7 });
      expectAllClose(
        stateOf(ours, compiled).optimizer_variables.map((v) => v.values),
        uninterrupted.optimizer_variables.map((v) => v.values),
        { rtol: 1e-4, atol: 1e-7 },
      );
    });
  }
});
