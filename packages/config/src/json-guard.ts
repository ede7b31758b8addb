import { type JsonValue, cannot } from "@kerastore/core";
import { ConfigError, maxConfigDepth } from "./errors.js";

/**
 * Checks that `value` is plain JSON data no deeper than 512 levels and without cycles, so the
 * readers after it may walk it freely. Throws `ConfigError` (`too-deep`, `cycle`,
 * `invalid-config`) naming the place.
 */
export function assertJsonTree(value: unknown, what: string): asserts value is JsonValue {
  const ancestors = new Set<object>();
  const visit = (v: unknown, path: string, depth: number): void => {
    if (depth > maxConfigDepth) {
      throw new ConfigError("too-deep", cannot("read", what, `${path || "the value"} nests deeper than ${maxConfigDepth} levels`), {
        path,
      });
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      // Python's json writes NaN and Infinity; JSON.parse cannot give them, but objects passed in can.
      return;
    }
    if (typeof v !== "object") {
      throw new ConfigError("invalid-config", cannot("read", what, `${path || "the value"} is a ${typeof v}, not JSON data`), {
        path,
      });
    }
    if (ancestors.has(v)) {
      throw new ConfigError("cycle", cannot("read", what, `${path || "the value"} contains itself`), { path });
    }
    ancestors.add(v);
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) visit(item, `${path}[${i}]`, depth + 1);
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new ConfigError("invalid-config", cannot("read", what, `${path || "the value"} is not a plain object`), { path });
      }
      for (const [key, item] of Object.entries(v)) visit(item, path === "" ? key : `${path}.${key}`, depth + 1);
    }
    ancestors.delete(v);
  };
  visit(value, "", 0);
}

/**
 * Parses JSON text, turning syntax errors and the engine's own nesting limits into `ConfigError`.
 * Python writes `NaN`, `Infinity` and `-Infinity` for non-finite floats; they are read as numbers.
 */
export function parseJsonText(text: string, what: string): JsonValue {
  if (typeof text !== "string") {
    throw new ConfigError("invalid-json", cannot("read", what, `expected JSON text, got ${typeof text}`));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (/NaN|Infinity/.test(text)) {
      value = parseWithNonFinite(text, what, error);
    } else {
      throw new ConfigError("invalid-json", cannot("read", what, `it is not JSON (${(error as Error).message})`), {
        cause: error,
      });
    }
  }
  assertJsonTree(value, what);
  return value;
}

function parseWithNonFinite(text: string, what: string, first: unknown): unknown {
  // Replace bare NaN / Infinity tokens outside strings by sentinels, then revive them.
  const marks = { NaN: "__kerastore_nan__", Infinity: "__kerastore_inf__", "-Infinity": "__kerastore_ninf__" } as const;
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = text.startsWith("-Infinity", i) ? "-Infinity" : text.startsWith("Infinity", i) ? "Infinity" : text.startsWith("NaN", i) ? "NaN" : undefined;
    if (token !== undefined) {
      out += `"${marks[token]}"`;
      i += token.length - 1;
      continue;
    }
    out += c;
  }
  try {
    return JSON.parse(out, (_key, v) =>
      v === marks.NaN ? Number.NaN : v === marks.Infinity ? Number.POSITIVE_INFINITY : v === marks["-Infinity"] ? Number.NEGATIVE_INFINITY : v,
    );
  } catch {
    throw new ConfigError("invalid-json", cannot("read", what, `it is not JSON (${(first as Error).message})`), { cause: first });
  }
}
