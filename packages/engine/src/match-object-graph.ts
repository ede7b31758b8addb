import { type SavedNode, type SavedVariable, cannot, formatShape, sameShape } from "@kerastore/core";
import { toCheckpointTree } from "./checkpoint-tree.js";
import { EngineError } from "./errors.js";
import { LiveBinding, optimizerOf } from "./live-binding.js";
import type { Model } from "./model.js";
import type { ResolvedMatchOptions } from "./weight-matcher.js";

/** The edge name of each variable of a node (per-owner names in `extras.variableNames`). */
function edgeNames(node: SavedNode): string[] {
  const names = node.extras?.variableNames;
  return node.variables.map((v, i) => (Array.isArray(names) && typeof names[i] === "string" ? names[i] : v.name));
}

/**
 * Pairs an `object-graph` tree (a TF checkpoint read into a saved tree) with the model: the
 * tree's edges are followed from the root alongside the model's tf.keras 2 / Keras 3 object
 * graph, and a variable reached by the same edge path gets the value (optimizer variables too,
 * when the model has an optimizer). Restoring straight from checkpoint files (`loadWeights`)
 * also gives a status and slots; this is the same pairing over a tree already read.
 */
export function matchObjectGraph(model: Model, tree: SavedNode, o: ResolvedMatchOptions): number {
  const binding = new LiveBinding();
  const live = toCheckpointTree(binding.model(model, optimizerOf(model)), { keras3Aliases: true });
  const seen = new Set<SavedNode>();
  const set = new Set<SavedVariable>();
  const queue: [SavedNode, SavedNode, string][] = [[tree, live, ""]];
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
        if (o.skipMismatch) {
          o.onWarning(`skipped ${place}: ${reason}`);
          continue;
        }
        throw new EngineError("weight-mismatch", cannot("load", `${o.where}:${place} into ${target.path}`, reason), {
          path: o.where,
        });
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
