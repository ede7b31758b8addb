import { KerastoreError } from "@kerastore/core";

/** Codes of the errors `@kerastore/config` throws. */
export type ConfigErrorCode =
  /** A class or function name is in no registry and not in `customObjects`. */
  | "unknown-name"
  /** A value has the wrong type or a required key is missing. */
  | "invalid-config"
  /** The text is not JSON. */
  | "invalid-json"
  /** Nesting deeper than the cap (512 levels). */
  | "too-deep"
  /** An object contains itself. */
  | "cycle"
  /** A value cannot be written as Keras JSON (unregistered function, Map, symbol, ...). */
  | "not-serializable"
  /** A class's `fromConfig` or constructor threw. */
  | "construct-failed";

/** An error from `@kerastore/config`; `path` is the place in the JSON (`config.layers[2].config.units`). */
export class ConfigError extends KerastoreError<ConfigErrorCode> {}

/** How deep nested configs may go before they are refused as hostile. */
export const maxConfigDepth = 512;
