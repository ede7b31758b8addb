import { cannot } from "@kerastore/core";
import * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "./errors.js";

/**
 * Throws a clear error when no tfjs backend is set up yet (tfjs would say "No backend found in
 * registry"): building a model's weights needs `await keras.ready()` first.
 */
export function requireBackend(what: string): void {
  if (tf.getBackend() !== undefined) return;
  throw new EngineError(
    "backend",
    cannot(
      "create",
      what,
      "no tensor backend is set up yet",
      "await keras.ready() (initBackend() in @kerastore/engine) first",
    ),
  );
}
