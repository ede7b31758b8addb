import { type RestoreStatus, restoreCheckpoint, writeCheckpoint, writeCheckpointState } from "@kerastore/checkpoint";
import { type SavedNode, type Store, basenameOf, dirnameOf, hostTensor } from "@kerastore/core";
import type { Model } from "@kerastore/engine";
import { toCheckpointTree } from "./checkpoint-tree.js";
import { distinctStatus } from "./distinct-status.js";
import { type CheckpointOptimizer, LiveBinding, optimizerOf } from "./live-binding.js";

/** Options of {@link writeModelCheckpoint} and {@link restoreModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** The optimizer whose state goes with the model; default the model's own, if it has one. */
  readonly optimizer?: CheckpointOptimizer | undefined;
  /** Leave out the optimizer even when the model has one. Default false. */
  readonly skipOptimizer?: boolean | undefined;
  /**
   * Restore only: the edge from the checkpoint's root to the model, for checkpoints that hold
   * the model as one named object (`"model"` for `tf.train.Checkpoint(model=m)`). Default: the
   * model is the root, as `save_weights` writes it.
   */
  readonly under?: string | undefined;
}

/** What a model checkpoint restore did. */
export interface ModelRestoreResult {
  /** The status of the match, with `assertConsumed` and friends. */
  readonly status: RestoreStatus;
  /** How many live variables were set. */
  readonly loaded: number;
}

function optimizerFor(model: Model, options: ModelCheckpointOptions): CheckpointOptimizer | undefined {
  return options.skipOptimizer === true ? undefined : (options.optimizer ?? optimizerOf(model));
}

/**
 * The object graph tf.keras 2's `model.save_weights(prefix)` writes for `model`, as a saved
 * object tree: `layer_with_weights-N` / `layer-N` edges, attribute-named variables, and the
 * optimizer with its slots when there is one.
 */
export function modelCheckpointTree(model: Model, options: ModelCheckpointOptions = {}): SavedNode {
  return toCheckpointTree(new LiveBinding().model(model, optimizerFor(model, options)));
}

/**
 * Writes the model's weights (and optimizer state) as a TF checkpoint at `prefix`, named as
 * tf.keras 2.x names them, then the directory's `checkpoint` state file naming it, as
 * `model.save_weights("ckpt")` does: `model_checkpoint_path` and the one path, relative.
 */
export async function writeModelCheckpoint(
  model: Model,
  store: Store,
  prefix: string,
  options: ModelCheckpointOptions = {},
): Promise<void> {
  await writeCheckpoint(store, prefix, modelCheckpointTree(model, options));
  const name = basenameOf(prefix);
  await writeCheckpointState(store, dirnameOf(prefix), {
    modelCheckpointPath: name,
    allModelCheckpointPaths: [name],
    allModelCheckpointTimestamps: [],
  });
}

/**
 * Restores a TF checkpoint into a live model by object-graph matching: the model's graph is
 * built the way tf.keras 2 names it (plus Keras 3's `_operations` names), and paired with the
 * checkpoint's edge by edge from the root. Objects the checkpoint lacks keep their values;
 * a matched variable of another shape is an error, as in TensorFlow. Live variables change only
 * when the whole restore succeeded.
 */
export async function restoreModelCheckpoint(
  model: Model,
  store: Store,
  prefix: string,
  options: ModelCheckpointOptions = {},
): Promise<ModelRestoreResult> {
  const binding = new LiveBinding();
  const tree = toCheckpointTree(binding.model(model, optimizerFor(model, options)), { keras3Aliases: true });
  // Under a tf.train.Checkpoint the root also holds its save_counter, which the restore consumes.
  const counter = {
    name: "save_counter",
    path: "save_counter",
    trainable: false,
    value: hostTensor("int64", [], new BigInt64Array(1)),
  };
  const root: SavedNode =
    options.under === undefined
      ? tree
      : { className: "Checkpoint", variables: [counter], children: [{ name: options.under, node: tree }] };
  const status = await restoreCheckpoint(store, prefix, root, { optionalRootVariables: ["save_counter"] });
  return { status: distinctStatus(status), loaded: binding.apply() };
}
