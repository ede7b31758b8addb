import { type JsonValue, cannot, parsePythonJson } from "@kerastore/core";
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
      throw new ConfigError(
        "too-deep",
        cannot("read", what, `${path || "the value"} nests deeper than ${maxConfigDepth} levels`),
        {
          path,
        },
      );
    }
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      // Python's json writes NaN and Infinity; JSON.parse cannot give them, but objects passed in can.
      return;
    }
    if (typeof v !== "object") {
      throw new ConfigError(
        "invalid-config",
        cannot("read", what, `${path || "the value"} is a ${typeof v}, not JSON data`),
        {
          path,
        },
      );
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
        throw new ConfigError("invalid-config", cannot("read", what, `${path || "the value"} is not a plain object`), {
          path,
        });
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
      value = parseNonFinite(text, what);
    } else {
      throw new ConfigError("invalid-json", cannot("read", what, `it is not JSON (${(error as Error).message})`), {
        cause: error,
      });
    }
  }
  assertJsonTree(value, what);
  return value;
}

function parseNonFinite(text: string, what: string): unknown {
  try {
    return parsePythonJson(text);
  } catch (error) {
    throw new ConfigError("invalid-json", cannot("read", what, `it is not JSON (${(error as Error).message})`), {
      cause: error,
    });
  }
}
