import type { JsonObject, SavedNode, SavedVariable } from "@kerastore/core";
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
    return { className: optimizer.className, name: optimizer.name, config: optimizer.getConfig(), variables: [], children: [] };
  }
  // tf.keras 2.11's layout has no place for host scalars (Nadam's momentum product): those
  // optimizers use OptimizerV2's, whose `momentum_cache` holds it.
  const scalars = optimizer.variables().some((v) => v.slotName === undefined && v.name !== "iteration" && v.name !== "learning_rate");
  const weights = keras2OptimizerWeights(optimizer, { layout: scalars ? "optimizer-v2" : "tf-keras-2.11", variableName: keras2Name });
  const variables: SavedVariable[] = weights.map((w) => ({ name: w.name.slice(w.name.lastIndexOf("/") + 1).replace(/:\d+$/, ""), path: w.name, trainable: false, value: w.value }));
  return { className: optimizer.className, name: optimizer.name, config: optimizer.getConfig(), variables, children: [] };
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
  return { ...rest, optimizer_config: { class_name: compiled.optimizer.className, config: compiled.optimizer.getConfig() } };
}

/** Which layout a legacy file's `optimizer_weights` names say they are in. */
function legacyLayoutOf(paths: readonly string[]): Keras2Layout | "keras3" | undefined {
  const first = paths[0] ?? "";
  if (first === "iteration") return "tf-keras-2.11";
  if (first.endsWith("/iter")) return "optimizer-v2";
  if (first.endsWith("/iteration")) return "keras3";
  return undefined;
}

/**
 * Restores a compiled model's optimizer from the `optimizer` node a file gave, built on the
 * model's trainable variables first, as Keras does on load. A file whose optimizer does not fit
 * (another model, another optimizer) is skipped with a warning, as Keras skips it. Returns
 * whether the state was restored.
 */
export function restoreOptimizer(model: Model, root: SavedNode, layout: WeightLayout, where: string, onWarning: (message: string) => void): boolean {
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
        return skip(`the file holds ${node.variables.length} optimizer variables, ${optimizer.className} on this model has ${expected}`);
      }
      optimizerFromSavedNode(optimizer, node, trainables);
      return true;
    }
    const legacy = legacyLayoutOf(node.variables.map((v) => v.path));
    if (legacy === undefined || legacy === "keras3") return skip(`its optimizer_weights names (${node.variables[0]?.path}, ...) are in no layout Kerastore knows`);
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
