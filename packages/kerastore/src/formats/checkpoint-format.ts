import { loadCheckpoint, readCheckpoint, writeCheckpoint, writeCheckpointState } from "@kerastore/checkpoint";
import { basenameOf, cannot, dirnameOf, sizeOf, writeFileSet } from "@kerastore/core";
import type { CheckpointOptimizer } from "../checkpoint/live-binding.js";
import { FacadeError } from "../errors.js";
import { describeLocation } from "../location.js";
import type { FormatInspector, WeightsIntoModel } from "./capabilities.js";
import type { FormatLocation, ModelReader, ModelWriter } from "./format.js";
import type { InspectReport } from "./inspect-report.js";

// The engine (and the live-model checkpoint code over it) loads when a live model is written or
// restored, not when the format is registered: the CLI's inspect and convert never start it.
const engine = () => import("@kerastore/engine");
const modelCheckpoint = () => import("../checkpoint/model-checkpoint.js");

/** The TF checkpoint writer's own options (`optimizer` of `saveWeights`). */
export interface CheckpointWriteOptions {
  /** The optimizer whose state to save; default the live model's own, if any. */
  readonly optimizer?: CheckpointOptimizer | undefined;
}

/**
 * A TensorFlow checkpoint (`prefix.index` + `prefix.data-*`): weights and optimizer state by
 * object-graph path, the default of the guide's `save_weights`. Addressed by its prefix.
 *
 * Writing a live model names its objects as tf.keras 2's `save_weights` does (`layer_with_weights-N`,
 * the optimizer with its slots); a tree without a live model is renamed the same way
 * (`toCheckpointTree`). The `checkpoint` state file is written beside it, and the set changes
 * as one. `loadWeights` matches a checkpoint by object graph itself (`readWeightsInto`), with a
 * restore status as TensorFlow's.
 */
export const checkpointFormat: ModelReader & ModelWriter<CheckpointWriteOptions> & WeightsIntoModel & FormatInspector =
  {
    name: "checkpoint",
    description: "TensorFlow checkpoint (prefix.index + prefix.data-NNNNN-of-MMMMM)",
    extensions: [".index"],
    holds: { architecture: false, weights: true, optimizer: true },
    async sniffLocation({ store, path }) {
      return (
        (await store.exists(`${checkpointPrefix(path)}.index`)) && !(await store.isDirectory(checkpointPrefix(path)))
      );
    },
    async read({ store, path }) {
      const data = { root: await readCheckpoint(store, checkpointPrefix(path)) };
      return {
        data,
        layout: "object-graph",
        holds: checkpointFormat.holds,
        format: checkpointFormat.name,
        description: checkpointFormat.description,
      };
    },
    plan: (options) => ({ dialect: "keras3", computes: "by-name", optimizer: options.includeOptimizer }),
    async write({ store, path }, data, options) {
      const prefix = checkpointPrefix(path);
      const live =
        options.liveModel !== undefined && options.liveModel instanceof (await engine()).Model
          ? options.liveModel
          : undefined;
      // The .index, the .data and the `checkpoint` state file change as one set.
      await writeFileSet(store, prefix, async (staged) => {
        if (live !== undefined) {
          const { writeModelCheckpoint } = await modelCheckpoint();
          await writeModelCheckpoint(live, staged, prefix, {
            optimizer: options.optimizer,
            skipOptimizer: !options.includeOptimizer,
          });
          return;
        }
        const root = options.includeOptimizer
          ? data.root
          : { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") };
        await writeCheckpoint(staged, prefix, (await engine()).toCheckpointTree(root));
        const name = basenameOf(prefix);
        await writeCheckpointState(staged, dirnameOf(prefix), {
          modelCheckpointPath: name,
          allModelCheckpointPaths: [name],
          allModelCheckpointTimestamps: [],
        });
      });
    },
    async readWeightsInto(model, location, options) {
      const { store, path } = location;
      if (options.byName) {
        throw new FacadeError(
          "unsupported",
          cannot(
            "load",
            `weights from ${describeLocation(location)} by name`,
            "a TF checkpoint pairs objects by their place in the object graph",
          ),
        );
      }
      const { restoreModelCheckpoint } = await modelCheckpoint();
      const { status, loaded } = await restoreModelCheckpoint(model, store, checkpointPrefix(path), {
        optimizer: options.optimizer,
        under: options.under,
      });
      // As tf.keras 2's load_weights: a checkpoint that matches nothing is an error.
      status.assertNontrivialMatch();
      return { loaded, status };
    },
    inspect: (location) => inspectCheckpoint(location),
  };

/** The prefix of a checkpoint named by its prefix or by its `.index` file. */
export function checkpointPrefix(path: string): string {
  return path.endsWith(".index") ? path.slice(0, -".index".length) : path;
}

/** A checkpoint's tensors as stored, from its index alone (no tensor is read). */
async function inspectCheckpoint(location: FormatLocation): Promise<InspectReport> {
  const reader = await loadCheckpoint(location.store, checkpointPrefix(location.path));
  const dtypes = reader.variableToDtypeMap();
  const weights = reader.listVariables().map(([key, shape]) => ({ path: key, dtype: String(dtypes.get(key)), shape }));
  const count = (list: typeof weights) => list.reduce((n, w) => n + (w.dtype === "string" ? 0 : sizeOf(w.shape)), 0);
  // An optimizer's slots (`.OPTIMIZER_SLOT`) and own variables (`optimizer/...`) are its state, not model parameters.
  const isOptimizer = (key: string) => key.includes("/.OPTIMIZER_SLOT/") || key.startsWith("optimizer/");
  const isBookkeeping = (key: string) => key === "_CHECKPOINTABLE_OBJECT_GRAPH" || key.startsWith("save_counter/");
  const optimizer = weights.filter((w) => isOptimizer(w.path));
  return {
    format: checkpointFormat.name,
    description: checkpointFormat.description,
    path: location.path,
    layers: [],
    params: count(weights.filter((w) => !isOptimizer(w.path) && !isBookkeeping(w.path))),
    weights,
    optimizer:
      optimizer.length === 0
        ? undefined
        : { className: "optimizer state", variables: optimizer.length, params: count(optimizer) },
    weightsHeading: "tensors",
  };
}
