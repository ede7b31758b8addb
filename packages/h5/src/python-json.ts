import type { JsonValue } from "@kerastore/core";

/**
 * JSON as Python's `json.dumps` writes it by default (`", "` and `": "` separators,
 * non-ASCII escaped), so configs we write read like the ones Keras writes.
 */
export function pythonJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
    return JSON.stringify(value);
  }
  if (typeof value === "string") return asciiString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const parts = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${asciiString(k)}: ${pythonJson(v as JsonValue)}`);
  return `{${parts.join(", ")}}`;
}

function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
