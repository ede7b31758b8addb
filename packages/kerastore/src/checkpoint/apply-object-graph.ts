import { type SavedNode, type SavedVariable, cannot, formatShape, sameShape } from "@kerastore/core";
import type { Model } from "@kerastore/engine";
import { FacadeError } from "../errors.js";
import { toCheckpointTree } from "./checkpoint-tree.js";
import { LiveBinding, optimizerOf } from "./live-binding.js";

/** Options of {@link applyObjectGraph}. */
export interface ApplyObjectGraphOptions {
  /** Skip variables whose shape differs instead of failing. */
  readonly skipMismatch?: boolean | undefined;
  /** Told of every variable skipped. */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** The edge name of each variable of a node (per-owner names in `extras.variableNames`). */
function edgeNames(node: SavedNode): string[] {
  const names = node.extras?.variableNames;
  return node.variables.map((v, i) => (Array.isArray(names) && typeof names[i] === "string" ? names[i] : v.name));
}

/**
 * Sets a live model's weights from a checkpoint already read into a saved tree
 * (`readCheckpoint`): the tree's edges are followed from the root alongside the model's
 * tf.keras 2 / Keras 3 object graph, and a variable reached by the same edge path gets the
 * value. Returns how many live variables were set. (`loadWeights` restores straight from the
 * files instead, which also gives a status and optimizer slots.)
 */
export function applyObjectGraph(model: Model, saved: SavedNode, where: string, options: ApplyObjectGraphOptions = {}): number {
  const binding = new LiveBinding();
  const live = toCheckpointTree(binding.model(model, optimizerOf(model)), { keras3Aliases: true });
  const seen = new Set<SavedNode>();
  const set = new Set<SavedVariable>();
  const queue: [SavedNode, SavedNode, string][] = [[saved, live, ""]];
  while (queue.length > 0) {
    const [from, to, path] = queue.shift()!;
    if (seen.has(from)) continue;
    seen.add(from);
    const fromNames = edgeNames(from);
    const toNames = edgeNames(to);
    for (const [i, v] of from.variables.entries()) {
      const j = toNames.indexOf(fromNames[i]!);
      const target = j < 0 ? undefined : to.variables[j];
      if (target === undefined || set.has(target)) continue;
      const place = path === "" ? fromNames[i]! : `${path}/${fromNames[i]}`;
      if (!sameShape(v.value.shape, target.value.shape)) {
        const reason = `the checkpoint's shape is ${formatShape(v.value.shape)}, the model's ${formatShape(target.value.shape)}`;
        if (options.skipMismatch === true) {
          options.onWarning?.(`skipped ${place}: ${reason}`);
          continue;
        }
        throw new FacadeError("format-cannot-read", cannot("load", `${where}:${place} into ${target.path}`, reason), { path: where });
      }
      target.value = v.value;
      set.add(target);
    }
    for (const edge of from.children) {
      const next = to.children.find((e) => e.name === edge.name);
      if (next !== undefined) queue.push([edge.node, next.node, path === "" ? edge.name : `${path}/${edge.name}`]);
    }
  }
  return binding.apply();
}
