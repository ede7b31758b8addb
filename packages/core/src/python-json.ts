import type { JsonValue } from "./json.js";

/**
 * Config keys whose value Keras 3 checks to be a Python float: SGD's `momentum` ("must be a float
 * between [0, 1]"), every optimizer's `learning_rate` ("should be float"). A whole number there
 * is written `0.0`, as Python's json.dumps wrote the float.
 */
const FLOAT_KEYS: ReadonlySet<string> = new Set(["momentum", "learning_rate"]);

/**
 * JSON text the way Python's `json.dumps` writes it with its defaults, which is how Keras writes
 * `to_json()`, `config.json`, `metadata.json` and the H5 `model_config`: `", "` and `": "`
 * separators, no indent, non-ASCII escaped as `\uXXXX`, non-finite floats as `NaN` /
 * `Infinity`, exponents padded to two digits (`1e-07`).
 *
 * A JavaScript number does not know whether Python held `1` or `1.0`: whole numbers are written
 * as integers (`json.loads` gives an int where Keras had a float; Keras compares them equal),
 * except under the keys in FLOAT_KEYS, which Keras 3 refuses as ints.
 */
export function stringifyPythonJson(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return pythonNumber(value);
    case "string":
      return asciiString(value);
    default:
      break;
  }
  if (Array.isArray(value)) return `[${value.map(stringifyPythonJson).join(", ")}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const text =
      typeof item === "number" && Number.isInteger(item) && FLOAT_KEYS.has(key)
        ? `${pythonNumber(item)}.0`
        : stringifyPythonJson(item);
    parts.push(`${asciiString(key)}: ${text}`);
  }
  return `{${parts.join(", ")}}`;
}

function pythonNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "Infinity";
  if (n === Number.NEGATIVE_INFINITY) return "-Infinity";
  return String(n).replace(/e([+-])(\d)$/, "e$10$2");
}

function asciiString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
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
