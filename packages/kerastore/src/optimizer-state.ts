import type { HostTensor, JsonObject, SavedNode, SavedVariable } from "@kerastore/core";
import {
  EngineError,
  type Keras2Layout,
  type Model,
  type TrainableVariable,
  keras2OptimizerWeights,
  optimizerFromSavedNode,
  optimizerToSavedNode,
  setKeras2OptimizerWeights,
} from "@kerastore/engine";
import type { WeightLayout } from "./formats/format.js";
import { keras2WeightNames } from "./keras2-names.js";

/** How a format lays out compile information and optimizer variables. */
export type OptimizerDialect = "keras3" | "h5-keras2" | "h5-keras3";

/**
 * The optimizer as the saved tree's `optimizer` node, in the dialect's layout:
 * - `keras3` (`.keras`, `.weights.h5`) and `h5-keras3`: Keras 3's variables and order
 *   (`adam/iteration`, `adam/learning_rate`, `adam/dense_kernel_momentum`, ...);
 * - `h5-keras2`: tf.keras 2.11+'s (`iteration:0`, `Adam/m/dense/kernel:0`, ...); Nadam in
 *   OptimizerV2's (`Nadam/iter:0`, `Nadam/momentum_cache:0`, `Nadam/dense/kernel/m:0`, ...).
 * Undefined when the model is not compiled.
 */
export function optimizerNodeFor(model: Model, dialect: OptimizerDialect): SavedNode | undefined {
  const optimizer = model.optimizer;
  if (optimizer === undefined) return undefined;
  if (dialect !== "h5-keras2") return optimizerToSavedNode(optimizer);
  if (!optimizer.built) {
    // Nothing learned yet: only the step counter, as tf.keras writes an unbuilt optimizer.
    return {
      className: optimizer.className,
      name: optimizer.name,
      config: optimizer.getConfig(),
      variables: [],
      children: [],
    };
  }
  // tf.keras 2.11's layout has no place for host scalars (Nadam's momentum product): those
  // optimizers use OptimizerV2's, whose `momentum_cache` holds it.
  const scalars = optimizer
    .variables()
    .some((v) => v.slotName === undefined && v.name !== "iteration" && v.name !== "learning_rate");
  const names = keras2WeightNames(model);
  const variableName = (v: TrainableVariable): string => names.get(v.path) ?? keras2Name(v);
  const weights = keras2OptimizerWeights(optimizer, {
    layout: scalars ? "optimizer-v2" : "tf-keras-2.11",
    variableName,
  });
  const variables: SavedVariable[] = weights.map((w) => ({
    name: w.name.slice(w.name.lastIndexOf("/") + 1).replace(/:\d+$/, ""),
    path: w.name,
    trainable: false,
    value: w.value,
  }));
  return {
    className: optimizer.className,
    name: optimizer.name,
    config: optimizer.getConfig(),
    variables,
    children: [],
  };
}

/** A model variable's Keras 2 name: its layer and weight (`dense/kernel`). */
function keras2Name(v: TrainableVariable): string {
  return v.path.split("/").slice(-2).join("/");
}

/**
 * The compile information a legacy `.h5` holds: Keras 2's `training_config` (loss, metrics,
 * `optimizer_config` as `{class_name, config}`), with Keras 3's extra keys in its dialect.
 */
export function trainingConfigFor(model: Model, dialect: "h5-keras2" | "h5-keras3"): JsonObject | undefined {
  const compiled = model.compiledState;
  if (compiled === undefined) return undefined;
  if (dialect === "h5-keras2") return compiled.trainingConfig();
  const { optimizer: _optimizer, ...rest } = compiled.compileConfig();
  return {
    ...rest,
    optimizer_config: { class_name: compiled.optimizer.className, config: compiled.optimizer.getConfig() },
  };
}

/** Which layout a legacy file's `optimizer_weights` names say they are in. */
function legacyLayoutOf(paths: readonly string[]): Keras2Layout | "keras3" | "keras-2.0" | undefined {
  const first = paths[0] ?? "";
  if (first === "iteration") return "tf-keras-2.11";
  if (first.endsWith("/iter")) return "optimizer-v2";
  if (first.endsWith("/iteration")) return "keras3";
  // Standalone Keras 2.0-2.3: `Adam/iterations`, `training/Adam/Variable`, `m_0`, `Variable_1`.
  if (first.endsWith("iterations") || /(^|\/)(Variable(_\d+)?|[mv]_\d+)$/.test(first)) return "keras-2.0";
  return undefined;
}

// Standalone Keras 2.0-2.3's optimizer weights: [iterations] then each slot kind for every
// variable in turn (Adam: ms, vs, then vhats of shape [1] unless amsgrad; RMSprop: the
// accumulators only, no iterations; SGD: iterations, then the moments).
const KERAS20_SLOTS: Record<string, { iterations: boolean; kinds: readonly (string | null)[] }> = {
  Adam: { iterations: true, kinds: ["momentum", "velocity", null] },
  RMSprop: { iterations: false, kinds: ["velocity"] },
  SGD: { iterations: true, kinds: ["momentum"] },
};

function setKeras20Weights(
  optimizer: NonNullable<Model["optimizer"]>,
  values: readonly HostTensor[],
  trainables: readonly TrainableVariable[],
): void {
  const spec = KERAS20_SLOTS[optimizer.className];
  const n = trainables.length;
  const head = spec?.iterations === true ? 1 : 0;
  // Keras 2.0's Adam had no vhats; the last kind is optional.
  const kinds =
    spec === undefined
      ? []
      : values.length === head + n * (spec.kinds.length - 1) && spec.kinds.at(-1) === null
        ? spec.kinds.slice(0, -1)
        : spec.kinds;
  if (spec === undefined || values.length !== head + n * kinds.length) {
    throw new EngineError(
      "weight-mismatch",
      `its ${values.length} Keras 2.0-era optimizer weights do not fit ${optimizer.className} on ${n} variables`,
    );
  }
  optimizer.build(trainables);
  const current = optimizer.getWeights();
  const vars = optimizer.variables();
  if (head === 1) current[0] = BigInt64Array.of(BigInt(Math.trunc(Number(values[0]!.data[0] ?? 0))));
  kinds.forEach((kind, k) => {
    if (kind === null) return;
    trainables.forEach((t, i) => {
      const index = vars.findIndex((v) => v.slotName === kind && v.original === t);
      // Keras 3's SGD without momentum has no slot where Keras 2.0 kept zeros.
      if (index < 0) return;
      const value = values[head + k * n + i]!;
      if (value.data.length !== current[index]!.length) {
        throw new EngineError(
          "weight-mismatch",
          `optimizer weight ${head + k * n + i} holds ${value.data.length} values, ${vars[index]!.path} needs ${current[index]!.length}`,
        );
      }
      current[index] = Float32Array.from(value.data as ArrayLike<number>);
    });
  });
  optimizer.setWeights(current);
}

/**
 * Restores a compiled model's optimizer from the `optimizer` node a file gave, built on the
 * model's trainable variables first, as Keras does on load. A file whose optimizer does not fit
 * (another model, another optimizer) is skipped with a warning, as Keras skips it. Returns
 * whether the state was restored.
 */
export function restoreOptimizer(
  model: Model,
  root: SavedNode,
  layout: WeightLayout,
  where: string,
  onWarning: (message: string) => void,
): boolean {
  const optimizer = model.optimizer;
  const node = root.children.find((e) => e.name === "optimizer")?.node;
  if (optimizer === undefined || node === undefined || node.variables.length === 0) return false;
  const trainables = model.trainableWeights;
  const skip = (reason: string): false => {
    onWarning(`the optimizer state of ${where} was not restored: ${reason}`);
    return false;
  };
  try {
    if (layout === "walk-path" || legacyLayoutOf(node.variables.map((v) => v.path)) === "keras3") {
      optimizer.build(trainables);
      const expected = optimizer.variables().length;
      if (node.variables.length !== expected) {
        // An unbuilt optimizer saved (iteration and learning rate only): nothing learned to restore.
        if (node.variables.length <= 2 && node.variables.every((v) => v.value.shape.length === 0)) return false;
        return skip(
          `the file holds ${node.variables.length} optimizer variables, ${optimizer.className} on this model has ${expected}`,
        );
      }
      optimizerFromSavedNode(optimizer, node, trainables);
      return true;
    }
    const legacy = legacyLayoutOf(node.variables.map((v) => v.path));
    if (legacy === undefined || legacy === "keras3")
      return skip(`its optimizer_weights names (${node.variables[0]?.path}, ...) are in no layout Kerastore knows`);
    if (legacy === "keras-2.0") {
      setKeras20Weights(
        optimizer,
        node.variables.map((v) => v.value),
        trainables,
      );
      return true;
    }
    setKeras2OptimizerWeights(
      optimizer,
      node.variables.map((v) => v.value),
      trainables,
      { layout: legacy },
    );
    return true;
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    return skip(error.message);
  }
}
