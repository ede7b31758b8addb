import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { EngineError } from "../../errors.js";
import { type SparseGradient, segmentSumOf } from "../../ops/embedding-lookup.js";
import type { TrainableVariable } from "../trainable.js";
import { type LearningRateSchedule, serializeSchedule } from "./schedules.js";

/** Options every optimizer takes (Keras 3's base optimizer arguments). */
export interface OptimizerArgs {
  /** The optimizer's name; Keras's default for the class (`adam`, `rm_sprop`) when absent. */
  readonly name?: string | undefined;
  /** A plain rate, or a schedule of the step. */
  readonly learningRate?: number | LearningRateSchedule | undefined;
  /** Decoupled weight decay: `w -= w * weightDecay * lr` before each update. */
  readonly weightDecay?: number | null | undefined;
  /** Clips each gradient to this L2 norm. */
  readonly clipnorm?: number | null | undefined;
  /** Clips each gradient's values to [-clipvalue, clipvalue]. */
  readonly clipvalue?: number | null | undefined;
  /** Scales all gradients together so that their global L2 norm is at most this. */
  readonly globalClipnorm?: number | null | undefined;
  /** Kept for config round trips; only false is supported. */
  readonly useEma?: boolean | undefined;
  readonly emaMomentum?: number | undefined;
  readonly emaOverwriteFrequency?: number | null | undefined;
  /** Kept for config round trips; only null is supported. */
  readonly lossScaleFactor?: number | null | undefined;
  /** Kept for config round trips; only null is supported. */
  readonly gradientAccumulationSteps?: number | null | undefined;
}

/** One optimizer variable, in `optimizer.variables` order. */
export interface OptimizerVariable {
  /** The Keras variable name (`iteration`, `learning_rate`, `dense_kernel_momentum`). */
  readonly name: string;
  /** The Keras 3 path (`adam/dense_kernel_momentum`). */
  readonly path: string;
  /** `int64` for the iteration counter, `float32` otherwise. */
  readonly dtype: "int64" | "float32";
  readonly shape: readonly number[];
  /** For a slot: its name (`momentum`) and the model variable it belongs to. */
  readonly slotName?: string | undefined;
  readonly original?: TrainableVariable | undefined;
}

interface SlotGroup {
  readonly names: readonly string[];
  /** values[i][j]: slot names[j] of trainable variable i. */
  readonly values: tf.Variable[][];
}

/**
 * The base of Keras 3's optimizers: step counter, learning rate, gradient clipping, weight
 * decay, slot variables in Keras's order, and the config.
 *
 * Scalars (step, rate) live on the host as numbers: reading a device scalar back each step
 * would stall the WASM backend. Subclasses implement `updateStep` with tensor operations.
 */
export abstract class Optimizer {
  static readonly className: string = "Optimizer";
  readonly name: string;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | null;
  /** Finished updates (Keras's `iterations`). */
  iterations = 0;
  /** Whether `build` ran. */
  built = false;

  private rate: number;
  private readonly schedule: LearningRateSchedule | null;
  private trainables: TrainableVariable[] = [];
  private readonly groups: SlotGroup[] = [];
  private readonly extra: { name: string; get: () => number; set: (v: number) => void }[] = [];
  // The occurrence gradients of this step's looked-up variables, by trainable index.
  private stepSparse: (SparseGradient | undefined)[] = [];

  constructor(args: OptimizerArgs, defaultName: string, defaultRate: number) {
    this.name = args.name ?? defaultName;
    const lr = args.learningRate ?? defaultRate;
    this.schedule = typeof lr === "number" ? null : lr;
    this.rate = typeof lr === "number" ? Math.fround(lr) : Number.NaN;
    this.weightDecay = args.weightDecay ?? null;
    this.clipnorm = args.clipnorm ?? null;
    this.clipvalue = args.clipvalue ?? null;
    this.globalClipnorm = args.globalClipnorm ?? null;
    this.emaMomentum = args.emaMomentum ?? 0.99;
    this.emaOverwriteFrequency = args.emaOverwriteFrequency ?? null;
    const clips = [this.clipnorm, this.clipvalue, this.globalClipnorm].filter((c) => c !== null).length;
    if (clips > 1) {
      throw new EngineError(
        "invalid-argument",
        cannot("make", `optimizer "${this.name}"`, "only one of clipnorm, clipvalue and globalClipnorm can be set"),
      );
    }
    for (const [key, value, ok] of [
      ["use_ema", args.useEma, args.useEma === undefined || args.useEma === false],
      ["loss_scale_factor", args.lossScaleFactor, args.lossScaleFactor === undefined || args.lossScaleFactor === null],
      [
        "gradient_accumulation_steps",
        args.gradientAccumulationSteps,
        args.gradientAccumulationSteps === undefined || args.gradientAccumulationSteps === null,
      ],
    ] as const) {
      if (!ok)
        throw new EngineError(
          "unsupported",
          cannot(
            "make",
            `optimizer "${this.name}"`,
            `${key}=${String(value)} is not supported`,
            `leave ${key} at its default`,
          ),
        );
    }
  }

  /** The Keras class name. */
  get className(): string {
    return (this.constructor as typeof Optimizer).className;
  }

  /** The rate the next update uses (the schedule's value at `iterations`). */
  get learningRate(): number {
    return this.schedule === null ? this.rate : this.schedule.at(this.iterations);
  }

  /** Sets a plain rate (as ReduceLROnPlateau does); not possible with a schedule. */
  set learningRate(value: number) {
    if (this.schedule !== null) {
      throw new EngineError(
        "invalid-argument",
        cannot("set", `the learning rate of "${this.name}"`, "it follows a schedule"),
      );
    }
    this.rate = Math.fround(value);
  }

  /** The schedule, when the rate follows one. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return this.schedule;
  }

  /** The model variables the optimizer was built on, in order. */
  get trainableVariables(): readonly TrainableVariable[] {
    return this.trainables;
  }

  /** Creates the slot variables for these model variables (once). */
  build(variables: readonly TrainableVariable[]): void {
    if (this.built) return;
    this.trainables = [...variables];
    this.createSlots(this.trainables);
    this.built = true;
  }

  /** Subclasses add their slots here with {@link addSlots} / {@link addScalar}. */
  protected abstract createSlots(variables: readonly TrainableVariable[]): void;

  /**
   * Adds slots for every variable, interleaved per variable as Keras's
   * `add_optimizer_variables(vars, [names])` does; returns values[var][slot].
   */
  protected addSlots(variables: readonly TrainableVariable[], names: readonly string[], initial = 0): tf.Variable[][] {
    const values = variables.map((v) =>
      names.map((slot) =>
        tf.variable(
          tf.fill(v.value.shape, initial, "float32"),
          false,
          `${this.name}/${slotPrefix(v)}_${slot}/${uid++}`,
        ),
      ),
    );
    this.groups.push({ names, values });
    return values;
  }

  /** Adds a host-side float scalar variable exported after the slots (Nadam's `variable`). */
  protected addScalar(name: string, get: () => number, set: (v: number) => void): void {
    this.extra.push({ name, get, set });
  }

  /**
   * Applies one update: clip, weight decay, `updateStep` per variable, constraints, then
   * `iterations += 1`. Gradients are in `variables` order; builds on first use.
   *
   * `sparse` holds the per-occurrence gradients of looked-up tables (embeddings), keyed by the
   * tfjs variable: where Keras squares TensorFlow's `IndexedSlices` slice by slice, so do we.
   */
  applyGradients(
    grads: readonly tf.Tensor[],
    variables: readonly TrainableVariable[] = this.trainables,
    sparse?: ReadonlyMap<tf.Tensor, SparseGradient>,
  ): void {
    this.build(variables);
    if (grads.length !== variables.length) {
      throw new EngineError(
        "invalid-argument",
        cannot("apply", "gradients", `${grads.length} gradients for ${variables.length} variables`),
      );
    }
    const lr = this.learningRate;
    tf.tidy(() => {
      const slices = variables.map((v) => sparse?.get(v.value));
      const clipped = this.clip(grads, slices);
      this.stepSparse = [];
      variables.forEach((v, i) => {
        this.stepSparse[this.trainables.indexOf(v)] = slices[i];
      });
      if (this.weightDecay !== null) {
        const factor = Math.fround(this.weightDecay) * lr;
        for (const v of variables) v.value.assign(tf.sub(v.value, tf.mul(v.value, factor)));
      }
      this.beforeUpdates();
      variables.forEach((v, i) => {
        const index = this.trainables.indexOf(v);
        if (index < 0) {
          throw new EngineError(
            "invalid-argument",
            cannot("apply", "gradients", `variable ${v.path} is not one the optimizer was built on`),
          );
        }
        this.updateStep(clipped[i]!, v.value, index, lr);
      });
      for (const v of variables) if (v.constraint) v.value.assign(v.constraint.apply(v.value));
      this.stepSparse = [];
    });
    this.iterations += 1;
  }

  /** The gradient squared as Keras squares it: slice by slice for a looked-up variable, then summed per row. */
  protected squared(grad: tf.Tensor, index: number): tf.Tensor {
    const sparse = this.stepSparse[index];
    return sparse === undefined ? tf.square(grad) : segmentSumOf(sparse, tf.square);
  }

  /** Whether the variable at `index` has a looked-up (per-occurrence) gradient this step. */
  protected isSparse(index: number): boolean {
    return this.stepSparse[index] !== undefined;
  }

  /** |gradient| as Keras takes it (slice by slice for a looked-up variable). */
  protected absolute(grad: tf.Tensor, index: number): tf.Tensor {
    const sparse = this.stepSparse[index];
    return sparse === undefined ? tf.abs(grad) : segmentSumOf(sparse, tf.abs);
  }

  /** Host-side work before the per-variable updates of a step (Nadam's `u_product`). */
  protected beforeUpdates(): void {}

  /** Updates one variable (index in the built list) from its gradient with rate `lr`. */
  protected abstract updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void;

  /** Clips the gradients (and, in place of their slices, the sparse records) as Keras does. */
  private clip(grads: readonly tf.Tensor[], slices: (SparseGradient | undefined)[]): tf.Tensor[] {
    const sumOfSquares = (g: tf.Tensor, i: number) =>
      tf.sum(slices[i] === undefined ? tf.square(g) : tf.square(slices[i]!.values));
    const scaleAll = (scales: tf.Tensor[]) =>
      grads.map((g, i) => {
        const sp = slices[i];
        if (sp !== undefined) slices[i] = { ...sp, values: tf.mul(sp.values, scales[i]!) };
        return tf.mul(g, scales[i]!);
      });
    if (this.clipnorm !== null && this.clipnorm > 0) {
      const c = this.clipnorm;
      return scaleAll(grads.map((g, i) => tf.div(c, tf.maximum(tf.sqrt(sumOfSquares(g, i)), c))));
    }
    if (this.globalClipnorm !== null && this.globalClipnorm > 0) {
      const c = this.globalClipnorm;
      const norm = tf.sqrt(tf.addN(grads.map((g, i) => sumOfSquares(g, i))));
      // c * min(1/norm, 1/c); NaN or inf norms give NaN gradients, as in Keras.
      const scale = tf.add(tf.mul(c, tf.minimum(tf.div(1, norm), 1 / c)), tf.sub(norm, norm));
      return scaleAll(grads.map(() => scale));
    }
    if (this.clipvalue !== null && this.clipvalue > 0) {
      const v = this.clipvalue;
      return grads.map((g, i) => {
        const sp = slices[i];
        if (sp === undefined) return tf.clipByValue(g, -v, v);
        // tf.clip_by_value clips IndexedSlices slice by slice; the dense sum follows.
        const values = tf.clipByValue(sp.values, -v, v);
        slices[i] = { ...sp, values };
        return segmentSumOf(slices[i]!, (x) => x);
      });
    }
    return [...grads];
  }

  /**
   * `optimizer.variables` in Keras 3 order: `iteration`, `learning_rate` (plain rates only),
   * the slot groups (interleaved per model variable within a group), then extra scalars.
   */
  variables(): OptimizerVariable[] {
    const out: OptimizerVariable[] = [{ name: "iteration", path: `${this.name}/iteration`, dtype: "int64", shape: [] }];
    if (this.schedule === null)
      out.push({ name: "learning_rate", path: `${this.name}/learning_rate`, dtype: "float32", shape: [] });
    for (const g of this.groups) {
      g.values.forEach((_, i) => {
        const original = this.trainables[i]!;
        for (const slot of g.names) {
          const name = `${slotPrefix(original)}_${slot}`;
          out.push({
            name,
            path: `${this.name}/${name}`,
            dtype: "float32",
            shape: [...original.value.shape],
            slotName: slot,
            original,
          });
        }
      });
    }
    for (const e of this.extra) out.push({ name: e.name, path: `${this.name}/${e.name}`, dtype: "float32", shape: [] });
    return out;
  }

  /** The values of {@link variables}, in the same order (the iteration as a bigint). */
  getWeights(): (Float32Array | BigInt64Array)[] {
    const out: (Float32Array | BigInt64Array)[] = [BigInt64Array.of(BigInt(this.iterations))];
    if (this.schedule === null) out.push(Float32Array.of(this.rate));
    for (const g of this.groups) {
      for (const row of g.values) for (const v of row) out.push(v.dataSync() as Float32Array);
    }
    for (const e of this.extra) out.push(Float32Array.of(e.get()));
    return out;
  }

  /**
   * Restores {@link getWeights} values (Keras's `optimizer.set_weights` / `load_own_variables`):
   * builds on `variables` first when needed, checks count and sizes.
   */
  setWeights(values: readonly (ArrayLike<number> | BigInt64Array)[], variables?: readonly TrainableVariable[]): void {
    if (!this.built) {
      if (variables === undefined) {
        throw new EngineError(
          "not-built",
          cannot(
            "set",
            `the variables of optimizer "${this.name}"`,
            "it is not built",
            "pass the model's trainable variables",
          ),
        );
      }
      this.build(variables);
    }
    const expected = this.variables();
    if (values.length !== expected.length) {
      throw new EngineError(
        "weight-mismatch",
        cannot(
          "set",
          `the variables of optimizer "${this.name}"`,
          `it has ${expected.length} variables, ${values.length} values given`,
        ),
      );
    }
    expected.forEach((v, i) => {
      const size = v.shape.reduce((a, b) => a * b, 1);
      if (values[i]!.length !== size) {
        throw new EngineError(
          "weight-mismatch",
          cannot("set", `optimizer variable ${v.path}`, `expected ${size} values, got ${values[i]!.length}`),
          { path: v.path },
        );
      }
    });
    let k = 0;
    const first = values[k++]!;
    this.iterations = Number(first[0]);
    if (this.schedule === null) this.rate = Math.fround(Number(values[k++]![0]));
    for (const g of this.groups) {
      for (const row of g.values) {
        for (const v of row) {
          const data = values[k++]!;
          v.assign(tf.tensor(Float32Array.from(data as ArrayLike<number>), v.shape, "float32"));
        }
      }
    }
    for (const e of this.extra) e.set(Math.fround(Number(values[k++]![0])));
  }

  /** Keras 3 `get_config()`: the base keys, then the class's own. */
  getConfig(): JsonObject {
    return {
      name: this.name,
      learning_rate: this.schedule === null ? this.rate : serializeSchedule(this.schedule),
      weight_decay: this.weightDecay,
      clipnorm: this.clipnorm,
      global_clipnorm: this.globalClipnorm,
      clipvalue: this.clipvalue,
      use_ema: false,
      ema_momentum: this.emaMomentum,
      ema_overwrite_frequency: this.emaOverwriteFrequency,
      loss_scale_factor: null,
      gradient_accumulation_steps: null,
      ...this.ownConfig(),
    };
  }

  /** The class's own config keys. */
  protected abstract ownConfig(): JsonObject;

  /** Frees the slot variables. */
  dispose(): void {
    for (const g of this.groups) for (const row of g.values) for (const v of row) v.dispose();
  }
}

let uid = 0;

/** Keras's slot name prefix: the model variable's path with `/` made `_`. */
export function slotPrefix(v: TrainableVariable): string {
  return v.path.replaceAll("/", "_");
}
