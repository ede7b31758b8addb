import type { JsonValue } from "@kerastore/core";

/**
 * Serializes JSON the way Python's `json.dumps` does with its defaults, which is how Keras
 * writes `config.json` and `metadata.json`: `", "` and `": "` separators, no indentation,
 * non-ASCII escaped as `\uXXXX`.
 *
 * Numbers keep JavaScript's shortest form (`1e-7` where Python prints `1e-07`, `1` where
 * Python kept `1.0`); Python's `json.loads` reads both the same way.
 */
export function pythonJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? "Infinity" : value < 0 ? "-Infinity" : "NaN";
  if (typeof value === "string") return asciiString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    parts.push(`${asciiString(key)}: ${pythonJson(item)}`);
  }
  return `{${parts.join(", ")}}`;
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * Parses JSON as Python's `json.loads` accepts it, including the `NaN`, `Infinity` and
 * `-Infinity` that `json.dumps` writes for non-finite floats (they come back as numbers).
 * Throws a SyntaxError for anything else that is not JSON.
 */
export function parsePythonJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
  }
  // Replace the bare tokens (outside strings) by unique strings, then map those back.
  const marker = `\u0000kerastore-nonfinite-${Math.random().toString(36).slice(2)}:`;
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = ["-Infinity", "Infinity", "NaN"].find((t) => text.startsWith(t, i));
    if (token !== undefined) {
      out += JSON.stringify(marker + token);
      i += token.length - 1;
      continue;
    }
    out += c;
  }
  return JSON.parse(out, (_key, v: unknown) => {
    if (typeof v === "string" && v.startsWith(marker)) {
      const token = v.slice(marker.length);
      return token === "NaN" ? Number.NaN : token === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    }
    return v;
  }) as JsonValue;
}
