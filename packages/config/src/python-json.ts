import type { JsonValue } from "@kerastore/core";

/**
 * Writes JSON text the way Python's `json.dumps` does with its defaults, which is how Keras
 * writes `to_json()`, `config.json` and H5 `model_config`: `", "` and `": "` separators, no
 * indent, non-ASCII escaped as `\uXXXX`, non-finite floats as `NaN` / `Infinity`.
 *
 * A JavaScript number does not know whether Python held `1` or `1.0`: whole numbers are written
 * as integers (`json.loads` gives an int where Keras had a float; Keras compares them equal).
 */
export function stringifyPython(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return pythonNumber(value);
    case "string":
      return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(stringifyPython).join(", ")}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) parts.push(`${stringifyPython(key)}: ${stringifyPython(item)}`);
  return `{${parts.join(", ")}}`;
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  // Python's float repr pads the exponent to two digits: 1e-07, not 1e-7.
  return String(n).replace(/e([+-])(\d)$/, "e$10$2");
}
