import { type JsonObject, isJsonObject } from "@kerastore/core";

/** What `metadata.json` records about the archive. */
export interface KerasArchiveMetadata {
  /** The Keras version that wrote the archive (`"3.15.1"`), when recorded. */
  readonly kerasVersion: string | undefined;
  /** When it was saved, as Keras wrote it (`"2026-11-25@21:16:28"`, local time), when recorded. */
  readonly dateSaved: string | undefined;
  /** The whole JSON object, with any keys newer Keras versions add. */
  readonly raw: JsonObject;
}

/** Reads the fields of a parsed `metadata.json`; unknown keys stay in `raw`. */
export function metadataFromJson(raw: JsonObject): KerasArchiveMetadata {
  return {
    kerasVersion: typeof raw.keras_version === "string" ? raw.keras_version : undefined,
    dateSaved: typeof raw.date_saved === "string" ? raw.date_saved : undefined,
    raw,
  };
}

/** Formats a date as Keras does for `date_saved`: `%Y-%m-%d@%H:%M:%S` in local time. */
export function formatDateSaved(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}@${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** Builds `metadata.json`'s object in Keras's key order. */
export function makeMetadata(kerasVersion: string, date: Date, extra: JsonObject = {}): JsonObject {
  const out: JsonObject = { keras_version: kerasVersion, date_saved: formatDateSaved(date) };
  for (const [k, v] of Object.entries(extra)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** Whether a value looks like a Keras 3 object envelope (`{class_name, config, ...}`). */
export function isEnvelope(value: unknown): value is JsonObject & { class_name: string } {
  return isJsonObject(value) && typeof value.class_name === "string";
}
