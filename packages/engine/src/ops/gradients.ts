import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "../errors.js";

// Kernels whose gradients the training path always needs; if these are registered, tfjs's
// gradient set is.
const PROBES = ["Select", "Softmax", "Sum", "Multiply", "RealDiv"];

/** Whether tfjs's gradient functions are registered in this process. */
export function hasGradients(): boolean {
  return PROBES.every((k) => tf.getGradient(k) !== undefined);
}

/**
 * Registers tfjs's gradient functions (once).
 *
 * tfjs-core's Node entry (`dist/tf-core.node.js`) carries none; the union package and
 * tfjs-layers' Node bundle register them as an import side effect, and bundlers (and vitest)
 * can load tfjs-core's `register_all_gradients` module. Registries live on `globalThis`, so
 * whichever copy registers them, our ops find them.
 */
export async function registerGradients(): Promise<void> {
  if (hasGradients()) return;
  try {
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  } catch (cause) {
    throw new EngineError(
      "backend",
      cannot(
        "register",
        "tfjs's gradient functions",
        "this runtime cannot load @tensorflow/tfjs-core/dist/register_all_gradients.js (extensionless ES module imports)",
        "import @tensorflow/tfjs or @tensorflow/tfjs-layers once before training, or run through a bundler",
      ),
      { cause },
    );
  }
  if (!hasGradients()) throw new EngineError("backend", cannot("register", "tfjs's gradient functions", "they are still missing after loading them"));
}

/** Throws a clear error when no gradients are registered (the synchronous training entry points). */
export function assertGradients(): void {
  if (!hasGradients()) {
    throw new EngineError("backend", cannot("train", "the model", "tfjs's gradient functions are not registered", "await registerGradients() (or fit()) first"));
  }
}
