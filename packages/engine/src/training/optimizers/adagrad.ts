import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link Adagrad}. */
export interface AdagradArgs extends OptimizerArgs {
  /** The accumulators' starting value (default 0.1). */
  readonly initialAccumulatorValue?: number | undefined;
  readonly epsilon?: number | undefined;
}

/** Adagrad with Keras 3's rule; one `accumulator` slot per variable. */
export class Adagrad extends Optimizer {
  static override readonly className: string = "Adagrad";
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;
  private acc: tf.Variable[][] = [];

  constructor(args: AdagradArgs = {}) {
    super(args, "adagrad", 0.001);
    this.initialAccumulatorValue = args.initialAccumulatorValue ?? 0.1;
    this.epsilon = args.epsilon ?? 1e-7;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    this.acc = this.addSlots(variables, ["accumulator"], this.initialAccumulatorValue);
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    const acc = this.acc[index]![0]!;
    acc.assign(tf.add(acc, this.squared(grad, index)));
    variable.assign(tf.sub(variable, tf.div(tf.mul(grad, lr), tf.sqrt(tf.add(acc, this.epsilon)))));
  }

  protected override ownConfig(): JsonObject {
    return { initial_accumulator_value: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
