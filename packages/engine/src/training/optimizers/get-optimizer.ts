import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "../../errors.js";
import { Adadelta } from "./adadelta.js";
import { Adagrad } from "./adagrad.js";
import { Adam, AdamW } from "./adam.js";
import { Adamax } from "./adamax.js";
import { Nadam } from "./nadam.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";
import { RMSprop } from "./rmsprop.js";
import { type LearningRateSchedule, deserializeSchedule } from "./schedules.js";
import { SGD } from "./sgd.js";

/** What `compile({ optimizer })` accepts: a name (`'adam'`), a Keras config envelope, or an optimizer. */
export type OptimizerLike = string | JsonObject | Optimizer;

type Factory = (args: Record<string, unknown>) => Optimizer;

const CLASSES: Record<string, { factory: Factory; keys: Record<string, string> }> = {
  SGD: { factory: (a) => new SGD(a), keys: { momentum: "momentum", nesterov: "nesterov" } },
  Adam: {
    factory: (a) => new Adam(a),
    keys: { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon", amsgrad: "amsgrad" },
  },
  AdamW: {
    factory: (a) => new AdamW(a),
    keys: { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon", amsgrad: "amsgrad" },
  },
  RMSprop: {
    factory: (a) => new RMSprop(a),
    keys: { rho: "rho", momentum: "momentum", epsilon: "epsilon", centered: "centered" },
  },
  Adagrad: {
    factory: (a) => new Adagrad(a),
    keys: { initial_accumulator_value: "initialAccumulatorValue", epsilon: "epsilon" },
  },
  Adadelta: { factory: (a) => new Adadelta(a), keys: { rho: "rho", epsilon: "epsilon" } },
  Adamax: { factory: (a) => new Adamax(a), keys: { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" } },
  Nadam: { factory: (a) => new Nadam(a), keys: { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" } },
};

const BASE_KEYS: Record<string, keyof OptimizerArgs> = {
  name: "name",
  weight_decay: "weightDecay",
  clipnorm: "clipnorm",
  clipvalue: "clipvalue",
  global_clipnorm: "globalClipnorm",
  use_ema: "useEma",
  ema_momentum: "emaMomentum",
  ema_overwrite_frequency: "emaOverwriteFrequency",
  loss_scale_factor: "lossScaleFactor",
  gradient_accumulation_steps: "gradientAccumulationSteps",
};

// Keys Keras 2 configs carry that mean nothing to Keras 3 at their default.
const KERAS2_KEYS = new Set(["is_legacy_optimizer", "jit_compile", "decay"]);

/** The optimizer class names {@link getOptimizer} knows. */
export const optimizerClassNames: readonly string[] = Object.keys(CLASSES);

/**
 * An optimizer from a name (`'adam'`, `'rmsprop'`, case-insensitive), a Keras 3 or Keras 2
 * config envelope (`{class_name, config}`; `Custom>Adam` and `lr` accepted), or an instance
 * (returned as is).
 */
export function getOptimizer(identifier: OptimizerLike): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === "string") {
    const cls = classFor(identifier);
    return CLASSES[cls]!.factory({});
  }
  const className = identifier.class_name;
  const config = identifier.config ?? {};
  if (typeof className !== "string" || !isJsonObject(config)) {
    throw new EngineError(
      "invalid-config",
      cannot("read", "the optimizer config", 'expected {"class_name": ..., "config": {...}}'),
    );
  }
  return optimizerFromConfig(className, config);
}

/** An optimizer of a class from its Keras config (snake_case keys, either dialect). */
export function optimizerFromConfig(className: string, config: JsonObject): Optimizer {
  const cls = classFor(className);
  const entry = CLASSES[cls]!;
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "learning_rate" || key === "lr") {
      args.learningRate = learningRateOf(value, cls);
    } else if (key in BASE_KEYS) {
      if (value !== null) args[BASE_KEYS[key]!] = value;
    } else if (key in entry.keys) {
      if (value !== null) args[entry.keys[key]!] = value;
    } else if (KERAS2_KEYS.has(key)) {
      if (key === "decay" && value !== 0 && value !== null) {
        throw new EngineError(
          "unsupported",
          cannot(
            "read",
            `${cls} config`,
            `Keras 2 "decay"=${String(value)} has no Keras 3 form`,
            "use a learning rate schedule",
          ),
        );
      }
    } else {
      throw new EngineError("invalid-config", cannot("read", `${cls} config`, `unknown key "${key}"`));
    }
  }
  return entry.factory(args);
}

/** Keras 3's envelope of an optimizer (`{module, class_name, config, registered_name}`). */
export function serializeOptimizer(optimizer: Optimizer): JsonObject {
  return {
    module: "keras.optimizers",
    class_name: optimizer.className,
    config: optimizer.getConfig(),
    registered_name: null,
  };
}

function classFor(name: string): string {
  const bare = name.startsWith("Custom>") ? name.slice("Custom>".length) : name;
  const lower = bare.toLowerCase().replace(/_/g, "");
  const hit = Object.keys(CLASSES).find((c) => c.toLowerCase() === lower);
  if (hit === undefined) {
    throw new EngineError(
      "unknown-object",
      cannot(
        "find",
        `optimizer "${name}"`,
        "it is not a built-in optimizer",
        `use one of ${Object.keys(CLASSES).join(", ")} or pass an Optimizer instance`,
      ),
    );
  }
  return hit;
}

function learningRateOf(value: JsonValue | undefined, cls: string): number | LearningRateSchedule {
  if (typeof value === "number") return value;
  if (isJsonObject(value)) return deserializeSchedule(value, `${cls} config`);
  throw new EngineError(
    "invalid-config",
    cannot(
      "read",
      `${cls} config`,
      `learning_rate must be a number or a schedule, got ${JSON.stringify(value ?? null)}`,
    ),
  );
}
