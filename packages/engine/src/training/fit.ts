import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "../errors.js";
import { type Callback, CallbackList, type CallbackContext, History, type Logs } from "./callbacks/callback.js";
import { ProgbarLogger, type ProgressSink, stdoutSink } from "./callbacks/progbar.js";
import { registerGradients } from "../ops/gradients.js";
import { installWasmFallbacks } from "../ops/kernel-fallback.js";
import type { Compiled } from "./compile.js";
import {
  type TensorOrList,
  asList,
  batchRanges,
  classWeightsToSampleWeights,
  gatherRows,
  permutation,
  sampleCount,
  sliceRows,
  splitIndex,
} from "./data.js";
import { testStep, trainStep } from "./step.js";
import type { TrainTarget } from "./trainable.js";

/** `verbose` as Keras: 0 silent, 1 progress bar, 2 one line per epoch; `auto` = 1 on a terminal, else 0. */
export type Verbosity = 0 | 1 | 2 | "auto";

/** Options of {@link fit}, as Keras's `model.fit`. */
export interface FitOptions {
  readonly epochs?: number | undefined;
  /** Samples per step (default 32). */
  readonly batchSize?: number | undefined;
  /** Shuffle the training samples before each epoch (default true). */
  readonly shuffle?: boolean | undefined;
  /** The random source of shuffling (default Math.random). */
  readonly random?: (() => number) | undefined;
  /** Hold out this fraction of the samples (the last ones) for validation. */
  readonly validationSplit?: number | undefined;
  /** Validation data `[x, y]` or `[x, y, sampleWeight]`. */
  readonly validationData?:
    | readonly [TensorOrList, TensorOrList]
    | readonly [TensorOrList, TensorOrList, tf.Tensor]
    | undefined;
  /** Class index to loss weight. */
  readonly classWeight?: Readonly<Record<number, number>> | undefined;
  /** Per-sample loss weights. */
  readonly sampleWeight?: tf.Tensor | undefined;
  /** The epoch to start at (resuming a run); epochs counts from 0 to `epochs`. */
  readonly initialEpoch?: number | undefined;
  readonly callbacks?: readonly Callback[] | undefined;
  readonly verbose?: Verbosity | undefined;
  /** Where progress text goes (default stdout). */
  readonly output?: ProgressSink | undefined;
  /** The object callbacks see as `context.model` (the facade's model). */
  readonly model?: unknown;
}

/** Trains the target (Keras's `model.fit`); returns the History. */
export async function fit(
  target: TrainTarget,
  compiled: Compiled,
  x: TensorOrList,
  y: TensorOrList,
  options: FitOptions = {},
): Promise<History> {
  await prepareTraining();
  let xs = asList(x, "x");
  let ys = asList(y, "y");
  if (sampleCount(ys) !== sampleCount(xs)) {
    throw new EngineError(
      "invalid-argument",
      cannot("fit", "the model", `x has ${sampleCount(xs)} samples, y has ${sampleCount(ys)}`),
    );
  }
  let sw = options.sampleWeight ?? null;
  const owned: tf.Tensor[] = [];
  if (options.classWeight !== undefined) {
    const cw = classWeightsToSampleWeights(ys[0]!, options.classWeight);
    owned.push(cw);
    sw = sw === null ? cw : tf.mul(sw, cw);
    if (sw !== cw) owned.push(sw);
  }
  let validation: { xs: tf.Tensor[]; ys: tf.Tensor[]; sw: tf.Tensor | null } | null = null;
  if (options.validationData !== undefined) {
    const [vx, vy, vw] = options.validationData as [TensorOrList, TensorOrList, tf.Tensor | undefined];
    validation = { xs: asList(vx, "validation x"), ys: asList(vy, "validation y"), sw: vw ?? null };
  } else if (options.validationSplit !== undefined && options.validationSplit > 0) {
    const n = sampleCount(xs);
    const at = splitIndex(n, options.validationSplit);
    const vxs = sliceRows(xs, at, n);
    const vys = sliceRows(ys, at, n);
    const vsw = sw === null ? null : tf.slice(sw, [at], [n - at]);
    xs = sliceRows(xs, 0, at);
    ys = sliceRows(ys, 0, at);
    if (sw !== null) sw = tf.slice(sw, [0], [at]);
    owned.push(...vxs, ...vys, ...xs, ...ys);
    if (vsw !== null) owned.push(vsw);
    if (sw !== null) owned.push(sw);
    validation = { xs: vxs, ys: vys, sw: vsw };
  }
  const n = sampleCount(xs);
  const batchSize = options.batchSize ?? 32;
  const epochs = options.epochs ?? 1;
  const ranges = batchRanges(n, batchSize);
  const verbose = resolveVerbose(options.verbose, options.output);
  const history = new History();
  // As Keras: user callbacks first (they may add logs such as learning_rate), History last.
  const all: Callback[] = [...(options.callbacks ?? [])];
  if (verbose > 0) all.push(new ProgbarLogger(options.output ?? stdoutSink()));
  all.push(history);
  const list = new CallbackList(all);
  const optimizer = compiled.optimizer;
  const context: CallbackContext = {
    stopTraining: false,
    get learningRate() {
      return optimizer.learningRate;
    },
    set learningRate(v: number) {
      optimizer.learningRate = v;
    },
    params: { epochs, steps: ranges.length, verbose },
    model: options.model ?? target,
  };
  list.setContext(context);
  try {
    await list.call("onTrainBegin", {});
    let logs: Logs = {};
    for (let epoch = options.initialEpoch ?? 0; epoch < epochs; epoch++) {
      compiled.resetMetrics();
      await list.callAt("onEpochBegin", epoch, {});
      const order = options.shuffle === false ? null : permutation(n, options.random);
      for (let b = 0; b < ranges.length; b++) {
        const [s, e] = ranges[b]!;
        await list.callAt("onTrainBatchBegin", b, {});
        const idx = order?.subarray(s, e);
        const batch =
          idx === undefined
            ? { x: sliceRows(xs, s, e), y: sliceRows(ys, s, e), w: sw === null ? null : tf.slice(sw, [s], [e - s]) }
            : { x: gatherRows(xs, idx), y: gatherRows(ys, idx), w: sw === null ? null : gatherRows([sw], idx)[0]! };
        try {
          trainStep(target, compiled, batch.x, batch.y, batch.w);
        } finally {
          tf.dispose([...batch.x, ...batch.y, ...(batch.w === null ? [] : [batch.w])]);
        }
        await list.callAt("onTrainBatchEnd", b, compiled.logs());
        if (context.stopTraining) break;
      }
      logs = compiled.logs();
      if (validation !== null) {
        const val = evaluateLogs(target, compiled, validation.xs, validation.ys, validation.sw, batchSize);
        for (const [k, v] of Object.entries(val)) logs[`val_${k}`] = v;
      }
      await list.callAt("onEpochEnd", epoch, logs);
      if (context.stopTraining) break;
    }
    await list.call("onTrainEnd", logs);
  } finally {
    tf.dispose(owned);
  }
  return history;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  readonly batchSize?: number | undefined;
  readonly sampleWeight?: tf.Tensor | undefined;
  readonly callbacks?: readonly Callback[] | undefined;
}

/** The loss and metrics over a data set (Keras's `model.evaluate(..., return_dict=True)`). */
export async function evaluate(
  target: TrainTarget,
  compiled: Compiled,
  x: TensorOrList,
  y: TensorOrList,
  options: EvaluateOptions = {},
): Promise<Logs> {
  const list = new CallbackList(options.callbacks ?? []);
  await list.call("onTestBegin", {});
  const logs = evaluateLogs(
    target,
    compiled,
    asList(x, "x"),
    asList(y, "y"),
    options.sampleWeight ?? null,
    options.batchSize ?? 32,
  );
  await list.call("onTestEnd", logs);
  return logs;
}

function evaluateLogs(
  target: TrainTarget,
  compiled: Compiled,
  xs: tf.Tensor[],
  ys: tf.Tensor[],
  sw: tf.Tensor | null,
  batchSize: number,
): Logs {
  compiled.resetMetrics();
  for (const [s, e] of batchRanges(sampleCount(xs), batchSize)) {
    const bx = sliceRows(xs, s, e);
    const by = sliceRows(ys, s, e);
    const bw = sw === null ? null : tf.slice(sw, [s], [e - s]);
    try {
      testStep(target, compiled, bx, by, bw);
    } finally {
      tf.dispose([...bx, ...by, ...(bw === null ? [] : [bw])]);
    }
  }
  const logs = compiled.logs();
  compiled.resetMetrics();
  return logs;
}

/** Runs the target in inference mode batch by batch and concatenates (Keras's `predict`). */
export function predict(
  target: Pick<TrainTarget, "forward">,
  x: TensorOrList,
  options: { readonly batchSize?: number | undefined } = {},
): tf.Tensor[] {
  const xs = asList(x, "x");
  const parts: tf.Tensor[][] = [];
  for (const [s, e] of batchRanges(sampleCount(xs), options.batchSize ?? 32)) {
    const bx = sliceRows(xs, s, e);
    try {
      parts.push(target.forward(bx, false));
    } finally {
      tf.dispose(bx);
    }
  }
  const outputs = parts[0]!.map((_, i) =>
    tf.concat(
      parts.map((p) => p[i]!),
      0,
    ),
  );
  for (const p of parts) tf.dispose(p);
  return outputs;
}

/** One training step on one batch (Keras's `train_on_batch`); returns the logs. */
export function trainOnBatch(
  target: TrainTarget,
  compiled: Compiled,
  x: TensorOrList,
  y: TensorOrList,
  sampleWeight?: tf.Tensor,
): Logs {
  compiled.resetMetrics();
  trainStep(target, compiled, asList(x, "x"), asList(y, "y"), sampleWeight ?? null);
  return compiled.logs();
}

/** The loss and metrics of one batch (Keras's `test_on_batch`). */
export function testOnBatch(
  target: TrainTarget,
  compiled: Compiled,
  x: TensorOrList,
  y: TensorOrList,
  sampleWeight?: tf.Tensor,
): Logs {
  compiled.resetMetrics();
  testStep(target, compiled, asList(x, "x"), asList(y, "y"), sampleWeight ?? null);
  const logs = compiled.logs();
  compiled.resetMetrics();
  return logs;
}

/** The outputs for one batch (Keras's `predict_on_batch`). */
export function predictOnBatch(target: Pick<TrainTarget, "forward">, x: TensorOrList): tf.Tensor[] {
  return target.forward(asList(x, "x"), false);
}

/**
 * Makes the backend ready to train: tfjs's gradients registered and, on WASM, the CPU fallback
 * of the kernels it lacks. `fit` calls it; call it once before `trainOnBatch`.
 */
export async function prepareTraining(): Promise<void> {
  await registerGradients();
  if (tf.getBackend() === "wasm") await installWasmFallbacks();
}

function resolveVerbose(v: Verbosity | undefined, sink: ProgressSink | undefined): 0 | 1 | 2 {
  if (v === undefined || v === "auto") return (sink ?? stdoutSink()).isTTY ? 1 : 0;
  return v;
}
