import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import type { Registry } from "@kerastore/registry";
import { EngineError } from "../../errors.js";
import { type FromConfigContext, makeObject } from "../../keras-object.js";
import { builtinObject, resolveObject, unknownObjectError } from "../../resolve-object.js";
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

/** A Keras optimizer config key (snake_case) to the constructor argument it sets. */
type KeyMap = Readonly<Record<string, string>>;

const names: string[] = [];

/**
 * Registers the built-in optimizers into `registry` (from `installBuiltins()`): each class as a
 * factory `(config) => Optimizer` under its Keras class name and its lower-case name
 * (`'adam'`), kind `optimizer`.
 */
export function installOptimizers(registry: Registry): void {
  const add = (className: string, make: (args: Record<string, unknown>) => Optimizer, keys: KeyMap): void => {
    const factory = (config: JsonObject = {}, ctx: FromConfigContext = {}): Optimizer =>
      make(argsOf(className, keys, config, ctx));
    for (const name of new Set([className, className.toLowerCase()])) {
      registry.register(name, factory, { kind: "optimizer", module: "keras.optimizers", className });
    }
    if (!names.includes(className)) names.push(className);
  };
  const adamKeys = { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon", amsgrad: "amsgrad" };
  add("SGD", (a) => new SGD(a), { momentum: "momentum", nesterov: "nesterov" });
  add("Adam", (a) => new Adam(a), adamKeys);
  add("AdamW", (a) => new AdamW(a), adamKeys);
  add("RMSprop", (a) => new RMSprop(a), { rho: "rho", momentum: "momentum", epsilon: "epsilon", centered: "centered" });
  add("Adagrad", (a) => new Adagrad(a), { initial_accumulator_value: "initialAccumulatorValue", epsilon: "epsilon" });
  add("Adadelta", (a) => new Adadelta(a), { rho: "rho", epsilon: "epsilon" });
  add("Adamax", (a) => new Adamax(a), { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" });
  add("Nadam", (a) => new Nadam(a), { beta_1: "beta1", beta_2: "beta2", epsilon: "epsilon" });
}

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

/** The optimizer class names {@link getOptimizer} knows (filled by `installBuiltins()`). */
export const optimizerClassNames: readonly string[] = names;

/**
 * An optimizer from a name (`'adam'`, `'rmsprop'`, case-insensitive), a Keras 3 or Keras 2
 * config envelope (`{class_name, config}`; `Custom>Adam` and `lr` accepted), or an instance
 * (returned as is). Names resolve through the one registry order: `customObjects`, the open
 * `customObjectScope`s, `registry`, the built-ins; a custom optimizer is an Optimizer instance,
 * a class with a static `fromConfig(config)`, or a factory `(config) => Optimizer`.
 */
export function getOptimizer(identifier: OptimizerLike, ctx: FromConfigContext = {}): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  if (typeof identifier === "string") return optimizerByName([identifier], {}, ctx);
  const className = identifier.class_name;
  const config = identifier.config ?? {};
  if (typeof className !== "string" || !isJsonObject(config)) {
    throw new EngineError(
      "invalid-config",
      cannot("read", "the optimizer config", 'expected {"class_name": ..., "config": {...}}'),
    );
  }
  const registered = typeof identifier.registered_name === "string" ? identifier.registered_name : null;
  return optimizerByName([registered, className], config, ctx);
}

/** A built-in optimizer of a class from its Keras config (snake_case keys, either dialect). */
export function optimizerFromConfig(className: string, config: JsonObject): Optimizer {
  return optimizerByName([className], config, {}, true);
}

function optimizerByName(
  asked: readonly (string | null)[],
  config: JsonObject,
  ctx: FromConfigContext,
  builtinOnly = false,
): Optimizer {
  const shown = asked.find((n) => n !== null) ?? "?";
  const custom = builtinOnly ? undefined : resolveObject("optimizer", asked, ctx);
  if (custom !== undefined && custom.source !== "builtin") {
    return makeObject("optimizer", custom.value, custom.name, config, isOptimizer);
  }
  // Built-ins by name without case or underscores; tf.keras 2.11+ wrote `Custom>Adam`.
  const plain = asked
    .filter((n): n is string => n !== null)
    .map((n) => (n.startsWith("Custom>") ? n.slice("Custom>".length) : n).toLowerCase().replace(/_/g, ""));
  const make = plain
    .map((n) => builtinObject<(c: JsonObject, ctx: FromConfigContext) => Optimizer>("optimizer", n))
    .find((m) => m !== undefined);
  if (make === undefined) throw unknownObjectError("optimizer", shown);
  return make(config, ctx);
}

const isOptimizer = (value: unknown): value is Optimizer => value instanceof Optimizer;

function argsOf(cls: string, keys: KeyMap, config: JsonObject, ctx: FromConfigContext): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === "learning_rate" || key === "lr") {
      args.learningRate = learningRateOf(value, cls, ctx);
    } else if (key in BASE_KEYS) {
      if (value !== null) args[BASE_KEYS[key]!] = value;
    } else if (key in keys) {
      if (value !== null) args[keys[key]!] = value;
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
  return args;
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

function learningRateOf(
  value: JsonValue | undefined,
  cls: string,
  ctx: FromConfigContext,
): number | LearningRateSchedule {
  if (typeof value === "number") return value;
  if (isJsonObject(value)) return deserializeSchedule(value, `${cls} config`, ctx);
  throw new EngineError(
    "invalid-config",
    cannot(
      "read",
      `${cls} config`,
      `learning_rate must be a number or a schedule, got ${JSON.stringify(value ?? null)}`,
    ),
  );
}
