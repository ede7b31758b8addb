import { type JsonObject, cannot, isJsonObject, parsePythonJson, utf8Decode } from "@kerastore/core";
import { KerasV3Error } from "./errors.js";
import { findUnsafeConfig, safeModeHint } from "./safe-mode.js";

/** Parses a JSON member that must hold an object; `where` names it in errors. */
export function parseJsonMember(bytes: Uint8Array, where: string): JsonObject {
  let value: unknown;
  try {
    value = parsePythonJson(utf8Decode(bytes, { fatal: true }));
  } catch (error) {
    const reason =
      error instanceof RangeError ? "it is nested too deeply" : `it is not UTF-8 JSON (${(error as Error).message})`;
    throw new KerasV3Error("invalid-json", cannot("read", where, reason), { path: where, cause: error });
  }
  if (!isJsonObject(value))
    throw new KerasV3Error("invalid-json", cannot("read", where, "it does not hold a JSON object"), { path: where });
  return value;
}

/**
 * Checks `config.json`'s envelope (`{class_name, config, ...}`) and, in safe mode, that it
 * holds nothing that would run code when rebuilt.
 */
export function checkModelConfig(config: JsonObject, where: string, safeMode: boolean): void {
  if (typeof config.class_name !== "string" || !isJsonObject(config.config)) {
    throw new KerasV3Error(
      "invalid-json",
      cannot("read", where, "it is not a Keras object envelope ({class_name, config, ...})"),
      { path: where },
    );
  }
  if (!safeMode) return;
  const findings = findUnsafeConfig(config);
  if (findings.length === 0) return;
  const list = findings
    .slice(0, 5)
    .map((f) => `${f.reason} at ${f.at}`)
    .join("; ");
  const more = findings.length > 5 ? ` (and ${findings.length - 5} more)` : "";
  throw new KerasV3Error(
    "unsafe-config",
    cannot("load", where, `safe mode refuses ${list}${more}`, safeModeHint(findings)),
    { path: where },
  );
}
