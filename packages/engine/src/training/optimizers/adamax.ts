import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link Adamax}. */
export interface AdamaxArgs extends OptimizerArgs {
  readonly beta1?: number | undefined;
  readonly beta2?: number | undefined;
  readonly epsilon?: number | undefined;
}

/** Adamax (Adam with the infinity norm); slots `momentum`, `norm` interleaved. */
export class Adamax extends Optimizer {
  static override readonly className: string = "Adamax";
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private mu: tf.Variable[][] = [];

  constructor(args: AdamaxArgs = {}) {
    super(args, "adamax", 0.001);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    this.mu = this.addSlots(variables, ["momentum", "norm"]);
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    const [m, u] = this.mu[index] as [tf.Variable, tf.Variable];
    const b1Power = Math.fround(this.beta1) ** (this.iterations + 1);
    m.assign(tf.add(m, tf.mul(tf.sub(grad, m), 1 - this.beta1)));
    u.assign(tf.maximum(tf.mul(u, this.beta2), this.absolute(grad, index)));
    variable.assign(tf.sub(variable, tf.div(tf.mul(m, lr), tf.mul(tf.add(u, this.epsilon), 1 - b1Power))));
  }

  protected override ownConfig(): JsonObject {
    return { beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}
