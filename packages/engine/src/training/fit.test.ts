import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backend.js";
import {
  AUC,
  CSVLogger,
  Callback,
  CallbackList,
  EarlyStopping,
  LambdaCallback,
  LearningRateScheduler,
  ModelCheckpoint,
  ProgbarLogger,
  ReduceLROnPlateau,
  TerminateOnNaN,
  compile,
  compileOptionsFromConfig,
  evaluate,
  fit,
  formatPath,
  getOptimizer,
  optimizerFromSavedNode,
  optimizerToSavedNode,
  permutation,
  predict,
  registerGradients,
  serializeOptimizer,
  testOnBatch,
  trainOnBatch,
} from "../index.js";
import { buildFixtureModel, readFixtureModel, toTensor } from "./fixture-models.test-util.js";

beforeAll(async () => {
  await initBackend();
  await registerGradients();
});

const mlp = readFixtureModel("mlp");
const x = () => toTensor(mlp.x[0]!);
const y = () => toTensor(mlp.y);

describe("resuming from exported optimizer variables", () => {
  const cases: JsonObject[] = [
    { class_name: "SGD", config: { learning_rate: 0.05, momentum: 0.9, nesterov: true } },
    { class_name: "Adam", config: { learning_rate: 0.01, amsgrad: true } },
    { class_name: "AdamW", config: { learning_rate: 0.01 } },
    { class_name: "RMSprop", config: { learning_rate: 0.01, momentum: 0.5, centered: true } },
    { class_name: "Adagrad", config: { learning_rate: 0.1 } },
    { class_name: "Adadelta", config: { learning_rate: 1.0 } },
    { class_name: "Adamax", config: { learning_rate: 0.01 } },
    { class_name: "Nadam", config: { learning_rate: 0.01 } },
    {
      class_name: "SGD",
      config: {
        learning_rate: {
          class_name: "ExponentialDecay",
          config: { initial_learning_rate: 0.1, decay_steps: 2, decay_rate: 0.5 },
        },
      },
    },
  ];
  for (const c of cases) {
    it(`${c.class_name} continues with exactly the uninterrupted updates`, () => {
      const batches = Array.from(
        { length: 8 },
        (_, i) => [tf.slice(x(), [i * 8], [8]), tf.slice(y(), [i * 8], [8])] as const,
      );
      // Uninterrupted: 8 steps.
      const a = buildFixtureModel("mlp", mlp);
      const ca = compile({}, { optimizer: getOptimizer(c), loss: "mse" });
      for (const [bx, by] of batches) trainOnBatch(a, ca, bx, by);
      // Interrupted: 4 steps, export, fresh model and optimizer, import, 4 more steps.
      const b = buildFixtureModel("mlp", mlp);
      const cb = compile({}, { optimizer: getOptimizer(c), loss: "mse" });
      for (const [bx, by] of batches.slice(0, 4)) trainOnBatch(b, cb, bx, by);
      const node = optimizerToSavedNode(cb.optimizer);
      expect(node.variables[0]!.value).toMatchObject({ dtype: "int64", shape: [] });
      expect(node.variables[0]!.value.data[0]).toBe(4n);
      const c2 = buildFixtureModel("mlp", mlp);
      for (const [i, v] of c2.variables.entries()) v.value.assign(b.variables[i]!.value);
      const cc = compile({}, { optimizer: getOptimizer(serializeOptimizer(cb.optimizer)), loss: "mse" });
      optimizerFromSavedNode(cc.optimizer, node, c2.trainableVariables);
      expect(cc.optimizer.iterations).toBe(4);
      for (const [bx, by] of batches.slice(4)) trainOnBatch(c2, cc, bx, by);
      a.variables.forEach((v, i) => {
        expect(Array.from(c2.variables[i]!.value.dataSync())).toEqual(Array.from(v.value.dataSync()));
      });
      expect(cc.optimizer.getWeights().map((w) => Array.from(w, Number))).toEqual(
        ca.optimizer.getWeights().map((w) => Array.from(w, Number)),
      );
    });
  }

  it("links every slot to its model variable in the saved node", () => {
    const m = buildFixtureModel("mlp", mlp);
    const c = compile({}, { optimizer: "adam", loss: "mse" });
    trainOnBatch(m, c, x(), y());
    const originals = new Map(
      m.variables.map((v) => [
        v,
        {
          name: v.path.split("/").pop()!,
          path: v.path,
          trainable: true,
          value: { dtype: "float32", shape: [], data: new Float32Array(0) },
        } as const,
      ]),
    );
    const node = optimizerToSavedNode(c.optimizer, originals as never);
    expect(node.className).toBe("Adam");
    expect(node.variables.map((v) => v.path).slice(0, 4)).toEqual([
      "adam/iteration",
      "adam/learning_rate",
      "adam/mlp_hidden1_kernel_momentum",
      "adam/mlp_hidden1_kernel_velocity",
    ]);
    expect(node.slots).toHaveLength(12);
    expect(node.slots![1]!.slotName).toBe("velocity");
    expect(node.slots![1]!.original).toBe(originals.get(m.variables[0]!));
    expect(node.slots![1]!.slot).toBe(node.variables[3]);
  });

  it("rejects a variable list of the wrong length or size", () => {
    const m = buildFixtureModel("mlp", mlp);
    const opt = getOptimizer("adam");
    opt.build(m.trainableVariables);
    expect(() => opt.setWeights([BigInt64Array.of(0n)])).toThrow(/it has 14 variables, 1 values given/);
    const bad = opt.getWeights();
    bad[2] = new Float32Array(3);
    expect(() => opt.setWeights(bad)).toThrow(/adam\/mlp_hidden1_kernel_momentum: expected 96 values, got 3/);
  });
});

describe("compile config", () => {
  const py = readFixtureJson("training/compile_configs.json") as unknown as Record<string, JsonObject>;

  it("matches Keras 3's compile_config and restores from it", () => {
    const c = compile(
      {},
      {
        optimizer: getOptimizer({ class_name: "Adam", config: { learning_rate: 0.01 } }),
        loss: "categorical_crossentropy",
        metrics: ["accuracy", new AUC({ name: "auc" })],
        lossWeights: [0.5],
      },
    );
    expect(c.compileConfig()).toEqual(py.two_input);
    const again = compile({}, compileOptionsFromConfig(py.two_input!));
    expect(again.compileConfig()).toEqual(py.two_input);
  });

  it("restores Keras 3's config of a Huber loss and string metrics", () => {
    const c = compile({}, compileOptionsFromConfig(py.mlp!));
    expect(c.losses[0]!.className).toBe("Huber");
    expect(c.metrics.map((m) => m.metric.name)).toEqual(["mae", "mse"]);
    expect(c.optimizer.className).toBe("RMSprop");
    expect(c.compileConfig()).toEqual(py.mlp);
  });

  it("restores Keras 2 training_configs as real files hold them", () => {
    // From real-world Keras 2 H5 files (see /work/shared/realworld): tf.keras 2.x legacy, 2.11+ and Keras 2.2.
    const legacy = compile(
      {},
      compileOptionsFromConfig({
        loss: "categorical_crossentropy",
        metrics: [
          [
            {
              class_name: "MeanMetricWrapper",
              config: { name: "accuracy", dtype: "float32", fn: "categorical_accuracy" },
            },
          ],
        ],
        weighted_metrics: null,
        loss_weights: null,
        optimizer_config: {
          class_name: "Adam",
          config: {
            name: "Adam",
            learning_rate: 0.0010000000474974513,
            decay: 0.0,
            beta_1: 0.8999999761581421,
            beta_2: 0.9990000128746033,
            epsilon: 1e-7,
            amsgrad: false,
          },
        },
      }),
    );
    expect(legacy.optimizer.className).toBe("Adam");
    expect(legacy.optimizer.name).toBe("Adam");
    expect(legacy.metrics[0]!.metric.className).toBe("CategoricalAccuracy");
    expect(legacy.metrics[0]!.metric.name).toBe("accuracy");
    const newer = compile(
      {},
      compileOptionsFromConfig({
        loss: "binary_crossentropy",
        metrics: [
          [{ class_name: "MeanMetricWrapper", config: { name: "accuracy", dtype: "float32", fn: "binary_accuracy" } }],
        ],
        optimizer_config: {
          class_name: "Custom>Adam",
          config: {
            name: "Adam",
            weight_decay: null,
            clipnorm: null,
            global_clipnorm: null,
            clipvalue: null,
            use_ema: false,
            ema_momentum: 0.99,
            ema_overwrite_frequency: null,
            jit_compile: true,
            is_legacy_optimizer: false,
            learning_rate: 0.0010000000474974513,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            amsgrad: false,
          },
        },
        loss_weights: null,
      }),
    );
    expect(newer.losses[0]!.className).toBe("BinaryCrossentropy");
    expect(newer.metrics[0]!.metric.className).toBe("BinaryAccuracy");
    const k22 = compile(
      {},
      compileOptionsFromConfig({
        metrics: null,
        loss: "mse",
        optimizer_config: {
          class_name: "RMSprop",
          config: { epsilon: 1e-8, lr: 0.0010000000474974513, rho: 0.8999999761581421, decay: 0.0 },
        },
        loss_weights: null,
        sample_weight_mode: null,
      }),
    );
    expect(k22.optimizer.learningRate).toBe(Math.fround(0.001));
    expect(k22.trainingConfig()).toMatchObject({ loss: "mse", optimizer_config: { class_name: "RMSprop" } });
    expect(() => compileOptionsFromConfig({ loss: "mse" })).toThrow(/no "optimizer" \(Keras 3\) or "optimizer_config"/);
    expect(() => getOptimizer({ class_name: "Adam", config: { decay: 0.01 } })).toThrow(
      /"decay"=0.01 has no Keras 3 form/,
    );
  });
});

describe("the progress line", () => {
  it("prints Keras's format, redrawn on a terminal", () => {
    const writes: string[] = [];
    let now = 0;
    const bar = new ProgbarLogger({ write: (s) => writes.push(s), isTTY: true }, () => now);
    new CallbackList([bar]).setContext({
      stopTraining: false,
      learningRate: 0.1,
      params: { epochs: 3, steps: 4, verbose: 1 },
      model: null,
    });
    bar.onEpochBegin(0);
    now = 0.002;
    bar.onTrainBatchEnd(0, { loss: 0.5 });
    now = 0.004;
    bar.onTrainBatchEnd(3, { loss: 0.3874 });
    bar.onEpochEnd(0, { loss: 0.3874 });
    const text = writes.join("");
    expect(text.startsWith("Epoch 1/3\n1/4 [======>.......................] - ETA: 0s - loss: 0.5000")).toBe(true);
    const last = text.split("\r").pop()!;
    expect(last).toBe("4/4 [==============================] - 0s 1ms/step - loss: 0.3874\n");
  });

  it("is printed by fit with verbose 1, and absent when not a terminal by default", async () => {
    const m = buildFixtureModel("mlp", mlp);
    const out: string[] = [];
    await fit(m, compile({}, { optimizer: "sgd", loss: "mse", metrics: ["mae"] }), x(), y(), {
      epochs: 2,
      batchSize: 16,
      verbose: 1,
      output: { write: (s) => out.push(s), isTTY: false },
    });
    const lines = out.join("").split("\n");
    expect(lines[0]).toBe("Epoch 1/2");
    expect(lines[1]).toMatch(
      /^4\/4 \[==============================\] - \d+s \d+(us|ms|s)\/step - loss: \d\.\d{4} - mae: \d\.\d{4}$/,
    );
    expect(lines[2]).toBe("Epoch 2/2");
    const quiet: string[] = [];
    await fit(m, compile({}, { optimizer: "sgd", loss: "mse" }), x(), y(), {
      epochs: 1,
      output: { write: (s) => quiet.push(s), isTTY: false },
    });
    expect(quiet).toEqual([]);
    const two: string[] = [];
    await fit(m, compile({}, { optimizer: "sgd", loss: "mse" }), x(), y(), {
      epochs: 1,
      batchSize: 16,
      verbose: 2,
      output: { write: (s) => two.push(s), isTTY: false },
    });
    expect(two[1]).toMatch(/^4\/4 - \d+s - loss: \d\.\d{4} - \d+(us|ms|s)\/epoch - \d+(us|ms|s)\/step\n$/);
  });
});

describe("callbacks", () => {
  it("EarlyStopping stops when the loss stops improving, ReduceLROnPlateau cuts the rate", async () => {
    const m = buildFixtureModel("mlp", mlp);
    // A huge rate makes the loss grow: training stops after patience epochs.
    const c = compile(
      {},
      { optimizer: getOptimizer({ class_name: "SGD", config: { learning_rate: 5 } }), loss: "mse" },
    );
    const stop = new EarlyStopping({ monitor: "loss", patience: 1 });
    const h = await fit(m, c, x(), y(), { epochs: 20, batchSize: 16, shuffle: false, verbose: 0, callbacks: [stop] });
    expect(h.epoch.length).toBeLessThan(20);
    expect(stop.stoppedEpoch).toBe(h.epoch[h.epoch.length - 1]);
    const m2 = buildFixtureModel("mlp", mlp);
    const c2 = compile(
      {},
      { optimizer: getOptimizer({ class_name: "SGD", config: { learning_rate: 5 } }), loss: "mse" },
    );
    const h2 = await fit(m2, c2, x(), y(), {
      epochs: 4,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
      callbacks: [new ReduceLROnPlateau({ monitor: "loss", patience: 1, factor: 0.5 }), new TerminateOnNaN()],
    });
    expect(c2.optimizer.learningRate).toBeLessThan(5);
    expect(h2.history.learning_rate!.length).toBeGreaterThan(0);
  });

  it("LearningRateScheduler, LambdaCallback, CSVLogger and ModelCheckpoint see every epoch", async () => {
    const m = buildFixtureModel("mlp", mlp);
    const c = compile({}, { optimizer: "sgd", loss: "mse", metrics: ["mae"] });
    const seen: number[] = [];
    let csv = "";
    const saved: string[] = [];
    const h = await fit(m, c, x(), y(), {
      epochs: 3,
      batchSize: 32,
      verbose: 0,
      validationSplit: 0.25,
      callbacks: [
        new LearningRateScheduler((epoch) => 0.1 / (epoch + 1)),
        new LambdaCallback({ onEpochEnd: (e) => void seen.push(e) }),
        new CSVLogger({
          write: (t) => {
            csv += t;
          },
        }),
        new ModelCheckpoint({ filepath: "ckpt-{epoch:02d}-{val_loss:.2f}.keras", save: (p) => void saved.push(p) }),
      ],
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(c.optimizer.learningRate).toBe(Math.fround(0.1 / 3));
    const rows = csv.trim().split("\n");
    expect(rows[0]).toBe("epoch,learning_rate,loss,mae,val_loss,val_mae");
    expect(rows).toHaveLength(4);
    expect(rows[3]!.split(",")[3]).toBe(String(h.history.mae![2]));
    expect(saved).toHaveLength(3);
    expect(saved[0]).toBe(`ckpt-01-${h.history.val_loss![0]!.toFixed(2)}.keras`);
    expect(formatPath("w.{epoch:03d}.h5", 7, {})).toBe("w.007.h5");
  });

  it("TerminateOnNaN stops at the first NaN batch", async () => {
    const m = buildFixtureModel("mlp", mlp);
    const c = compile({}, { optimizer: "sgd", loss: "mse" });
    const bad = tf.fill([64, 3], Number.NaN);
    const t = new TerminateOnNaN();
    const h = await fit(m, c, x(), bad, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [t] });
    expect(t.stoppedAtBatch).toBe(0);
    // As in Keras, the epoch that was cut short still ends (its logs reach the history).
    expect(h.epoch).toEqual([0]);
    expect(Number.isNaN(h.history.loss![0]!)).toBe(true);
  });

  it("a custom Callback subclass gets batch hooks in order", async () => {
    const events: string[] = [];
    class Recorder extends Callback {
      override onTrainBatchBegin(b: number) {
        events.push(`b${b}`);
      }
      override onEpochEnd(e: number) {
        events.push(`e${e}`);
      }
    }
    await fit(buildFixtureModel("mlp", mlp), compile({}, { optimizer: "sgd", loss: "mse" }), x(), y(), {
      epochs: 2,
      batchSize: 32,
      verbose: 0,
      callbacks: [new Recorder()],
    });
    expect(events).toEqual(["b0", "b1", "e0", "b0", "b1", "e1"]);
  });
});

describe("evaluate, predict, testOnBatch", () => {
  it("agree with Keras's recorded evaluate and predict after training", async () => {
    const t = readFixtureJson("training/trajectories/mlp__adam.json") as unknown as {
      final_weights: number[][];
      evaluate: number[];
      predict: number[];
    };
    const m = buildFixtureModel("mlp", mlp);
    for (const [i, v] of m.variables.entries()) v.value.assign(tf.tensor(t.final_weights[i]!, v.value.shape));
    const c = compile({}, { optimizer: "adam", loss: "mse", metrics: ["mae"] });
    const logs = await evaluate(m, c, x(), y(), { batchSize: 16 });
    expect(logs.loss).toBeCloseTo(t.evaluate[0]!, 5);
    expect(logs.mae).toBeCloseTo(t.evaluate[1]!, 5);
    const [p] = predict(m, tf.slice(x(), [0], [5]), { batchSize: 2 });
    for (const [i, v] of Array.from(p!.dataSync()).entries()) expect(v).toBeCloseTo(t.predict[i]!, 5);
    const one = testOnBatch(m, c, x(), y());
    expect(one.loss).toBeCloseTo(t.evaluate[0]!, 5);
  });

  it("rejects mismatched sample counts and bad options with typed errors", async () => {
    const m = buildFixtureModel("mlp", mlp);
    const c = compile({}, { optimizer: "sgd", loss: "mse" });
    await expect(fit(m, c, x(), tf.zeros([10, 3]))).rejects.toThrow(/x has 64 samples, y has 10/);
    await expect(fit(m, c, x(), y(), { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(fit(m, c, x(), y(), { validationSplit: 1.5 })).rejects.toThrow(/validationSplit must be in \(0, 1\)/);
    await expect(fit(m, c, x(), y(), { classWeight: { 0: 1 }, batchSize: 64 })).rejects.toThrow(
      /class \d has no weight/,
    );
    expect(() => getOptimizer("adamm")).toThrow(/cannot find optimizer "adamm"/);
    expect(() => getOptimizer({ class_name: "Adam", config: { clipnorm: 1, clipvalue: 1 } })).toThrow(
      /only one of clipnorm/,
    );
  });
});

describe("several outputs", () => {
  it("weights the losses, names the logs and nests the config as Keras does", async () => {
    // Keras 3.15 logs ['loss', 'o1_loss', 'o1_mae', 'o2_accuracy', 'o2_loss'] and keeps
    // metrics [["mae"], ["accuracy"]] in compile_config for this compile.
    const w = tf.variable(
      tf.tensor2d([
        [0.1, -0.2, 0.3],
        [0.2, 0.1, -0.1],
      ]),
    );
    const target = {
      trainableVariables: [{ value: w, path: "w" }],
      outputNames: ["o1", "o2"],
      forward: ([x]: readonly tf.Tensor[]) => {
        const h = tf.matMul(x as tf.Tensor2D, w);
        return [tf.slice(h, [0, 0], [-1, 2]), tf.sigmoid(tf.slice(h, [0, 2], [-1, 1]))];
      },
    };
    const c = compile(target, {
      optimizer: "sgd",
      loss: ["mse", "binary_crossentropy"],
      lossWeights: [1, 0.5],
      metrics: [["mae"], ["accuracy"]],
    });
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
      [0.5, 0.5],
      [-1, 1],
    ]);
    const y1 = tf.tensor2d([
      [0, 1],
      [1, 0],
      [0.5, 0.5],
      [1, 1],
    ]);
    const y2 = tf.tensor2d([[1], [0], [1], [0]]);
    const logs = testOnBatch(target, c, x, [y1, y2]);
    expect(Object.keys(logs).sort()).toEqual(["loss", "o1_loss", "o1_mae", "o2_accuracy", "o2_loss"]);
    expect(logs.loss).toBeCloseTo(logs.o1_loss! + 0.5 * logs.o2_loss!, 6);
    expect(c.metrics[1]!.metric.className).toBe("BinaryAccuracy");
    expect(c.compileConfig().metrics).toEqual([["mae"], ["accuracy"]]);
    expect(c.compileConfig().loss).toEqual(["mse", "binary_crossentropy"]);
    const h = await fit(target, c, x, [y1, y2], { epochs: 2, batchSize: 2, verbose: 0 });
    expect(Object.keys(h.history).sort()).toEqual(["loss", "o1_loss", "o1_mae", "o2_accuracy", "o2_loss"]);
    const auc = new AUC();
    const shared = compile(target, { optimizer: "sgd", loss: "mse", metrics: [auc] });
    expect(shared.metrics.map((m) => m.metric.name)).toEqual(["o1_auc", "o2_auc"]);
    expect(shared.metrics[0]!.metric).not.toBe(shared.metrics[1]!.metric);
  });
});

describe("fit's data options", () => {
  it("shuffles with the given random source, batch by batch as trainOnBatch would", async () => {
    const a = buildFixtureModel("mlp", mlp);
    const ca = compile({}, { optimizer: "adam", loss: "mse" });
    let calls = 0;
    const random = () => ((calls++ * 7919) % 1000) / 1000;
    await fit(a, ca, x(), y(), { epochs: 1, batchSize: 16, shuffle: true, random, verbose: 0 });
    // The same permutation, applied by hand.
    calls = 0;
    const order = permutation(64, random);
    const b = buildFixtureModel("mlp", mlp);
    const cb = compile({}, { optimizer: "adam", loss: "mse" });
    const idx = tf.tensor1d(order, "int32");
    const xs = tf.gather(x(), idx);
    const ys = tf.gather(y(), idx);
    for (let s = 0; s < 64; s += 16) trainOnBatch(b, cb, tf.slice(xs, [s], [16]), tf.slice(ys, [s], [16]));
    for (const [i, v] of a.variables.entries())
      expect(Array.from(v.value.dataSync())).toEqual(Array.from(b.variables[i]!.value.dataSync()));
    expect(Array.from(order).sort((p, q) => p - q)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(Array.from(order)).not.toEqual(Array.from({ length: 64 }, (_, i) => i));
  });

  it("evaluates validationData at each epoch's end", async () => {
    const m = buildFixtureModel("mlp", mlp);
    const c = compile({}, { optimizer: "sgd", loss: "mse", metrics: ["mae"] });
    const vx = tf.slice(x(), [48], [16]);
    const vy = tf.slice(y(), [48], [16]);
    const h = await fit(m, c, tf.slice(x(), [0], [48]), tf.slice(y(), [0], [48]), {
      epochs: 2,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
      validationData: [vx, vy],
    });
    const after = await evaluate(m, c, vx, vy, { batchSize: 16 });
    expect(h.history.val_loss![1]).toBeCloseTo(after.loss!, 6);
    expect(h.history.val_mae![1]).toBeCloseTo(after.mae!, 6);
    // The same split through validationSplit gives the same history.
    const m2 = buildFixtureModel("mlp", mlp);
    const h2 = await fit(m2, compile({}, { optimizer: "sgd", loss: "mse", metrics: ["mae"] }), x(), y(), {
      epochs: 2,
      batchSize: 16,
      shuffle: false,
      verbose: 0,
      validationSplit: 0.25,
    });
    expect(h2.history).toEqual(h.history);
  });
});

describe("memory", () => {
  it("fit, evaluate and predict leave no tensors behind once the optimizer is built", async () => {
    const m = buildFixtureModel("mlp", mlp);
    const c = compile({}, { optimizer: "nadam", loss: "mse", metrics: ["mae", new AUC()] });
    const xs = x();
    const ys = y();
    await fit(m, c, xs, ys, { epochs: 1, batchSize: 16, verbose: 0, validationSplit: 0.25 });
    const before = tf.memory().numTensors;
    await fit(m, c, xs, ys, {
      epochs: 2,
      batchSize: 16,
      verbose: 0,
      validationSplit: 0.25,
      classWeight: { 0: 1, 1: 1, 2: 1 },
    });
    await evaluate(m, c, xs, ys);
    tf.dispose(predict(m, xs, { batchSize: 10 }));
    trainOnBatch(m, c, xs, ys);
    expect(tf.memory().numTensors).toBe(before);
  });
});
