import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "../errors.js";
import { runtimeHooks } from "../runtime-hooks.js";

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
  if (hasGradients()) {
    registerNonDifferentiable();
    return;
  }
  try {
    // Plain Node cannot load tfjs-core's ES-module build (extensionless imports in a package
    // without "type": "module"): teach its resolver those two rules, for that folder only,
    // before the first attempt (a failed import stays failed in Node's module cache).
    await runtimeHooks().beforeGradientImport();
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
  if (!hasGradients())
    throw new EngineError(
      "backend",
      cannot("register", "tfjs's gradient functions", "they are still missing after loading them"),
    );
  registerNonDifferentiable();
}

// Kernels TensorFlow declares not differentiable (their gradient is None, so nothing flows
// back), for which tfjs has no gradient and throws instead: comparisons, logical ops, any/all.
// A mask computed from an input (Masking, padding masks) passes through them.
const NOT_DIFFERENTIABLE: Record<string, readonly string[]> = {
  Any: ["x"],
  All: ["x"],
  LogicalNot: ["x"],
  Equal: ["a", "b"],
  NotEqual: ["a", "b"],
  Greater: ["a", "b"],
  Less: ["a", "b"],
  LessEqual: ["a", "b"],
  LogicalAnd: ["a", "b"],
  LogicalOr: ["a", "b"],
  LogicalXor: ["a", "b"],
};

/** Registers zero gradients for TensorFlow's non-differentiable kernels tfjs leaves without one. */
export function registerNonDifferentiable(): string[] {
  const added: string[] = [];
  for (const [kernelName, inputs] of Object.entries(NOT_DIFFERENTIABLE)) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: [...inputs],
      gradFunc: (_dy, saved) =>
        Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros(saved[i]!.shape, "float32")])),
    });
    added.push(kernelName);
  }
  return added;
}

/** Throws a clear error when no gradients are registered (the synchronous training entry points). */
export function assertGradients(): void {
  if (!hasGradients()) {
    throw new EngineError(
      "backend",
      cannot(
        "train",
        "the model",
        "tfjs's gradient functions are not registered",
        "await registerGradients() (or fit()) first",
      ),
    );
  }
}
