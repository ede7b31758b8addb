import { hostTensor } from "@kerastore/core";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import {
  compile,
  getOptimizer,
  keras2OptimizerWeights,
  registerGradients,
  setKeras2OptimizerWeights,
  trainOnBatch,
} from "../index.js";
import { buildFixtureModel, readFixtureModel, toTensor } from "./fixture-models.test-util.js";

const mlp = readFixtureModel("mlp");
// Keras 2 names variables without the Sequential's name: "hidden1/kernel".
const variableName = (v: { path: string }) => v.path.replace(/^mlp\//, "");

function trained(optimizer: string | Record<string, unknown>) {
  const model = buildFixtureModel("mlp", mlp);
  const compiled = compile({}, { optimizer: getOptimizer(optimizer as never), loss: "mse" });
  trainOnBatch(model, compiled, toTensor(mlp.x[0]!), toTensor(mlp.y));
  trainOnBatch(model, compiled, toTensor(mlp.x[0]!), toTensor(mlp.y));
  return { model, compiled };
}

describe("Keras 2 optimizer weight layouts", () => {
  beforeAll(async () => {
    await initBackend();
    await registerGradients();
  });

  it("lists Adam as tf.keras 2.x OptimizerV2 files do, and reads it back", () => {
    const { model, compiled } = trained("adam");
    const weights = keras2OptimizerWeights(compiled.optimizer, { variableName });
    // The pattern of a real tf.keras 2.6 file: Adam/iter:0, Adam/conv2d/kernel/m:0, Adam/conv2d/bias/m:0, ...
    expect(weights.map((w) => w.name)).toEqual([
      "Adam/iter:0",
      ...["hidden1", "hidden2", "out"].flatMap((l) => [`Adam/${l}/kernel/m:0`, `Adam/${l}/bias/m:0`]),
      ...["hidden1", "hidden2", "out"].flatMap((l) => [`Adam/${l}/kernel/v:0`, `Adam/${l}/bias/v:0`]),
    ]);
    expect(weights[0]!.value).toMatchObject({ dtype: "int64", shape: [] });
    expect(weights[0]!.value.data[0]).toBe(2n);
    const fresh = getOptimizer("adam");
    setKeras2OptimizerWeights(
      fresh,
      weights.map((w) => w.value),
      model.trainableVariables,
      { variableName },
    );
    expect(fresh.getWeights().map((w) => Array.from(w, Number))).toEqual(
      compiled.optimizer.getWeights().map((w) => Array.from(w, Number)),
    );
  });

  it("lists tf.keras 2.11+ optimizers interleaved, with iteration:0 and no learning rate", () => {
    const { compiled } = trained({ class_name: "Adam", config: { amsgrad: true } });
    const names = keras2OptimizerWeights(compiled.optimizer, { layout: "tf-keras-2.11", variableName }).map(
      (w) => w.name,
    );
    // The pattern of a real tf.keras 2.15 file: iteration:0, Adam/m/dense_8/kernel:0, Adam/v/dense_8/kernel:0, ...
    expect(names.slice(0, 5)).toEqual([
      "iteration:0",
      "Adam/m/hidden1/kernel:0",
      "Adam/v/hidden1/kernel:0",
      "Adam/m/hidden1/bias:0",
      "Adam/v/hidden1/bias:0",
    ]);
    expect(names.at(-1)).toBe("Adam/vhat/out/bias:0");
    expect(names).toHaveLength(1 + 6 * 3);
  });

  it("puts Nadam's momentum cache after the iteration and RMSprop's slot kinds in creation order", () => {
    const nadam = keras2OptimizerWeights(trained("nadam").compiled.optimizer, { variableName }).map((w) => w.name);
    expect(nadam.slice(0, 3)).toEqual(["Nadam/iter:0", "Nadam/momentum_cache:0", "Nadam/hidden1/kernel/m:0"]);
    const rms = keras2OptimizerWeights(
      trained({ class_name: "RMSprop", config: { momentum: 0.5, centered: true } }).compiled.optimizer,
      { variableName },
    ).map((w) => w.name);
    expect([rms[1], rms[7], rms[13]]).toEqual([
      "RMSprop/hidden1/kernel/rms:0",
      "RMSprop/hidden1/kernel/momentum:0",
      "RMSprop/hidden1/kernel/mg:0",
    ]);
  });

  it("rejects wrong counts and optimizers OptimizerV2 never had", () => {
    const { model, compiled } = trained("adam");
    expect(() =>
      setKeras2OptimizerWeights(
        getOptimizer("adam"),
        [hostTensor("int64", [], BigInt64Array.of(0n))],
        model.trainableVariables,
      ),
    ).toThrow(/expected 13 weights \(Adam\/iter:0, \.\.\.\), got 1/);
    expect(() => keras2OptimizerWeights(trained("adamw").compiled.optimizer)).toThrow(
      /OptimizerV2 had no such optimizer/,
    );
    expect(compiled.optimizer.iterations).toBe(2);
  });
});
