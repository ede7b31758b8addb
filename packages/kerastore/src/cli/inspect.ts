import { formatShape } from "@kerastore/core";
import { formatPartialShape } from "@kerastore/savedmodel";
import { isFormatInspector } from "../formats/capabilities.js";
import type { FormatLocation } from "../formats/format.js";
import type { FormatRegistry } from "../formats/format-registry.js";
import { type InspectReport, inspectReportOf } from "../formats/inspect-report.js";

export type { InspectReport, InspectTensor } from "../formats/inspect-report.js";

// Metadata only: dtypes and shapes, no weight bytes (a 10 GiB file inspects in milliseconds).
const READ = { safeMode: true, onWarning: () => {}, values: "lazy" } as const;

/**
 * Inspects a model, weights file or checkpoint without building the model: with the format's
 * own report when it has one, else from what its reader reads (the file is read once).
 */
export async function inspect(location: FormatLocation, formats: FormatRegistry): Promise<InspectReport> {
  const reader = await formats.detect(location);
  if (isFormatInspector(reader)) return reader.inspect(location, READ);
  return inspectReportOf(location, await reader.read(location, READ));
}

/** The human-readable form of a report. */
export function formatReport(report: InspectReport): string {
  const lines = [`${report.path}: ${report.description}`];
  if (report.modelClass !== undefined) {
    lines.push(
      `model: ${report.modelClass}${report.modelName === undefined ? "" : ` "${report.modelName}"`}${report.kerasVersion === undefined ? "" : ` (Keras ${report.kerasVersion})`}`,
    );
  }
  if (report.inputs !== undefined && report.inputs.length > 0) {
    lines.push("inputs:");
    for (const t of report.inputs) lines.push(`  ${t.name}  ${t.dtype}  ${formatPartialShape(t.shape)}`);
  }
  if (report.layers.length > 0) {
    lines.push("layers:");
    // A weights-only file names its layers but not their classes.
    for (const l of report.layers)
      lines.push(
        `  ${l.name}${report.weightsOnly ? "" : ` (${l.className})`}: ${l.params.toLocaleString("en-US")} params`,
      );
  }
  lines.push(`parameters: ${report.params.toLocaleString("en-US")}`);
  if (report.optimizer !== undefined) {
    const params =
      report.optimizer.params === undefined ? "" : `, ${report.optimizer.params.toLocaleString("en-US")} values`;
    lines.push(
      `optimizer: ${report.optimizer.className} (${report.optimizer.variables} variables${params}, not counted in parameters)`,
    );
  }
  for (const sig of report.signatures ?? []) {
    lines.push(`signature ${sig.key}:`);
    for (const t of sig.inputs) lines.push(`  input  ${t.name}  ${t.dtype}  ${formatPartialShape(t.shape)}`);
    for (const t of sig.outputs) lines.push(`  output ${t.name}  ${t.dtype}  ${formatPartialShape(t.shape)}`);
  }
  if (report.functions !== undefined && report.functions.length > 0)
    lines.push(`functions: ${report.functions.join(", ")}`);
  lines.push(`${report.weightsHeading ?? "weights"}:`);
  for (const w of report.weights) lines.push(`  ${w.path}  ${w.dtype}  ${formatShape(w.shape)}`);
  return `${lines.join("\n")}\n`;
}
