import { type JsonObject, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "../../errors.js";

/**
 * A learning rate that depends on the optimizer's step, as Keras's `LearningRateSchedule`.
 *
 * `at(step)` gets the optimizer's `iterations` before the update it is used for.
 */
export interface LearningRateSchedule {
  /** The Keras class name (`ExponentialDecay`). */
  readonly className: string;
  /** The learning rate for the update that follows `step` finished updates. */
  at(step: number): number;
  /** The Keras config (snake_case keys). */
  getConfig(): JsonObject;
}

/** Options of {@link ExponentialDecay}. */
export interface ExponentialDecayArgs {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  /** Decay in whole steps of `decaySteps` (default false). */
  readonly staircase?: boolean | undefined;
  readonly name?: string | undefined;
}

/** `initial * decayRate ^ (step / decaySteps)`, floored exponent when `staircase`. */
export class ExponentialDecay implements LearningRateSchedule {
  readonly className = "ExponentialDecay";
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;
  readonly name: string;

  constructor(args: ExponentialDecayArgs) {
    this.initialLearningRate = args.initialLearningRate;
    this.decaySteps = positive(args.decaySteps, "decay_steps", this.className);
    this.decayRate = args.decayRate;
    this.staircase = args.staircase ?? false;
    this.name = args.name ?? "ExponentialDecay";
  }

  at(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return Math.fround(this.initialLearningRate * this.decayRate ** p);
  }

  getConfig(): JsonObject {
    return {
      initial_learning_rate: this.initialLearningRate,
      decay_steps: this.decaySteps,
      decay_rate: this.decayRate,
      staircase: this.staircase,
      name: this.name,
    };
  }
}

/** Options of {@link PiecewiseConstantDecay}. */
export interface PiecewiseConstantDecayArgs {
  /** Increasing step boundaries; `values` has one more entry. */
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name?: string | undefined;
}

/** `values[0]` while step <= boundaries[0], `values[i]` while step <= boundaries[i], then the last. */
export class PiecewiseConstantDecay implements LearningRateSchedule {
  readonly className = "PiecewiseConstantDecay";
  readonly boundaries: readonly number[];
  readonly values: readonly number[];
  readonly name: string;

  constructor(args: PiecewiseConstantDecayArgs) {
    if (args.values.length !== args.boundaries.length + 1) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          "PiecewiseConstantDecay",
          `values needs one entry more than boundaries: got ${args.values.length} values for ${args.boundaries.length} boundaries`,
        ),
      );
    }
    this.boundaries = [...args.boundaries];
    this.values = [...args.values];
    this.name = args.name ?? "PiecewiseConstant";
  }

  at(step: number): number {
    for (let i = 0; i < this.boundaries.length; i++) {
      if (step <= this.boundaries[i]!) return Math.fround(this.values[i]!);
    }
    return Math.fround(this.values[this.values.length - 1]!);
  }

  getConfig(): JsonObject {
    return { boundaries: [...this.boundaries], values: [...this.values], name: this.name };
  }
}

/** Options of {@link CosineDecay}. */
export interface CosineDecayArgs {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  /** The floor, as a fraction of the rate decayed from (default 0). */
  readonly alpha?: number | undefined;
  /** A linear warm-up to this rate over `warmupSteps` before decaying, when set. */
  readonly warmupTarget?: number | null | undefined;
  readonly warmupSteps?: number | undefined;
  readonly name?: string | undefined;
}

/** Cosine decay from the initial rate (or after a linear warm-up) to `alpha` times it. */
export class CosineDecay implements LearningRateSchedule {
  readonly className = "CosineDecay";
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;
  readonly name: string;

  constructor(args: CosineDecayArgs) {
    this.initialLearningRate = args.initialLearningRate;
    this.decaySteps = positive(args.decaySteps, "decay_steps", this.className);
    this.alpha = args.alpha ?? 0;
    this.warmupTarget = args.warmupTarget ?? null;
    this.warmupSteps = args.warmupSteps ?? 0;
    this.name = args.name ?? "CosineDecay";
  }

  at(step: number): number {
    if (this.warmupTarget === null)
      return Math.fround(this.decay(Math.min(step, this.decaySteps), this.initialLearningRate));
    const s = Math.min(step, this.decaySteps + this.warmupSteps);
    if (s < this.warmupSteps) {
      return Math.fround(
        (this.warmupTarget - this.initialLearningRate) * (s / this.warmupSteps) + this.initialLearningRate,
      );
    }
    return Math.fround(this.decay(s - this.warmupSteps, this.warmupTarget));
  }

  private decay(step: number, from: number): number {
    const cosine = 0.5 * (1 + Math.cos(Math.PI * (step / this.decaySteps)));
    return from * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): JsonObject {
    return {
      initial_learning_rate: this.initialLearningRate,
      decay_steps: this.decaySteps,
      alpha: this.alpha,
      name: this.name,
      warmup_target: this.warmupTarget,
      warmup_steps: this.warmupSteps,
    };
  }
}

/** Keras 3's envelope of a schedule. */
export function serializeSchedule(schedule: LearningRateSchedule): JsonObject {
  return {
    module: "keras.optimizers.schedules",
    class_name: schedule.className,
    config: schedule.getConfig(),
    registered_name: null,
  };
}

/** A schedule from its Keras envelope (either dialect). */
export function deserializeSchedule(json: JsonObject, where = "learning_rate"): LearningRateSchedule {
  const cls = json.class_name;
  const c = json.config;
  if (typeof cls !== "string" || !isJsonObject(c)) {
    throw new EngineError(
      "invalid-config",
      cannot("read", `the schedule in ${where}`, 'expected {"class_name": ..., "config": {...}}'),
    );
  }
  const num = (key: string, fallback?: number): number => {
    const v = c[key];
    if (typeof v === "number") return v;
    if (fallback !== undefined && (v === undefined || v === null)) return fallback;
    throw new EngineError(
      "invalid-config",
      cannot("read", `${cls} in ${where}`, `"${key}" must be a number, got ${JSON.stringify(v ?? null)}`),
    );
  };
  const name = typeof c.name === "string" ? c.name : undefined;
  switch (cls) {
    case "ExponentialDecay":
      return new ExponentialDecay({
        initialLearningRate: num("initial_learning_rate"),
        decaySteps: num("decay_steps"),
        decayRate: num("decay_rate"),
        staircase: c.staircase === true,
        name,
      });
    case "PiecewiseConstantDecay": {
      const b = c.boundaries;
      const v = c.values;
      if (!Array.isArray(b) || !Array.isArray(v) || ![...b, ...v].every((x) => typeof x === "number")) {
        throw new EngineError(
          "invalid-config",
          cannot("read", `${cls} in ${where}`, '"boundaries" and "values" must be lists of numbers'),
        );
      }
      return new PiecewiseConstantDecay({ boundaries: b as number[], values: v as number[], name });
    }
    case "CosineDecay":
      return new CosineDecay({
        initialLearningRate: num("initial_learning_rate"),
        decaySteps: num("decay_steps"),
        alpha: num("alpha", 0),
        warmupTarget: typeof c.warmup_target === "number" ? c.warmup_target : null,
        warmupSteps: num("warmup_steps", 0),
        name,
      });
    default:
      throw new EngineError(
        "unknown-object",
        cannot(
          "read",
          `the schedule in ${where}`,
          `unknown learning rate schedule "${cls}"`,
          "use ExponentialDecay, PiecewiseConstantDecay or CosineDecay",
        ),
      );
  }
}

function positive(value: number, key: string, cls: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new EngineError("invalid-argument", cannot("make", cls, `${key} must be > 0, got ${value}`));
  }
  return value;
}
