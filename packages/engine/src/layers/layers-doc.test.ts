import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { builtinLayerClasses } from "../index.js";
import { kerasLayerNames } from "../keras-layer-names.js";
import { isPythonCodeLayer } from "../layer-refusals.js";

// docs/layers.md lists every built-in Keras layer class name (Keras 3.15, tf.keras 2, Keras 1
// and 2: keras-layer-names.ts) with its status, and the status is what the engine does.

type Status = "supported" | "Python code" | "Keras 1" | "not yet";

const KERAS1 = new Set([
  "Merge",
  "MaxoutDense",
  "Highway",
  "TimeDistributedDense",
  "AtrousConvolution1D",
  "AtrousConvolution2D",
]);

function statusOf(name: string, classes: ReadonlyMap<string, unknown>): Status {
  if (classes.has(name)) return "supported";
  if (isPythonCodeLayer(name)) return "Python code";
  if (KERAS1.has(name)) return "Keras 1";
  return "not yet";
}

/** The rows of the table under "## Every Keras built-in layer": name -> status. */
function documented(): Map<string, string> {
  const text = readFileSync(join(repoRoot, "docs/layers.md"), "utf8");
  const section = text.split("## Every Keras built-in layer")[1] ?? "";
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const m = /^\| `([A-Za-z0-9_]+)` \| ([^|]+?) \|/.exec(line);
    if (m !== null) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

describe("docs/layers.md", () => {
  it("gives every built-in Keras layer name its status", () => {
    const classes = builtinLayerClasses();
    const names = [...new Set([...kerasLayerNames, "TensorFlowOpLayer"])].sort();
    const expected = names.map((n) => `| \`${n}\` | ${statusOf(n, classes)} |`);
    const rows = documented();
    const actual = names.map((n) => `| \`${n}\` | ${rows.get(n) ?? "(missing)"} |`);
    if (actual.join("\n") !== expected.join("\n")) console.log(`Expected table rows:\n${expected.join("\n")}`);
    expect(actual).toEqual(expected);
  });
});
