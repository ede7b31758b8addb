import { type JsonValue, type SavedNode, cannot } from "@kerastore/core";
import type { CustomObjects, FileWeightSizes } from "@kerastore/engine";
import { findUnsafeConfig, safeModeHint } from "@kerastore/keras-v3";
import { FacadeError } from "./errors.js";

/**
 * The sizes of the weights a read file holds (every variable of the tree, optimizer's too): what
 * a config's declared sizes are checked against before anything is allocated.
 */
export function fileWeightSizes(root: SavedNode): FileWeightSizes {
  let largest: readonly number[] = [];
  let largestValues = 0;
  let total = 0;
  const seen = new Set<SavedNode>();
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    const variables = [...node.variables, ...(node.slots ?? []).map((s) => s.slot)];
    for (const v of variables) {
      const values = v.value.shape.reduce((a, b) => a * b, 1);
      total += values;
      if (values > largestValues) {
        largestValues = values;
        largest = v.value.shape;
      }
    }
    for (const edge of node.children) stack.push(edge.node);
  }
  return { largest, total };
}

/**
 * Safe mode for every format (`.h5`, `.json` and SavedModel configs as much as `.keras`):
 * refuses a config that would run code, telling the user the fix that can work.
 */
export function refuseUnsafeConfig(config: JsonValue, where: string, customObjects: CustomObjects): void {
  const findings = findUnsafeConfig(config);
  if (findings.length === 0) return;
  const list = findings
    .slice(0, 3)
    .map((f) => `${f.reason} at ${f.at}`)
    .join("; ");
  const replaced = Object.hasOwn(customObjects, "Lambda");
  throw new FacadeError(
    "format-cannot-read",
    cannot("load", where, `safe mode refuses ${list}`, safeModeHint(findings, replaced)),
    { path: where },
  );
}
