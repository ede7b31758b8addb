import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link Adadelta}. */
export interface AdadeltaArgs extends OptimizerArgs {
  readonly rho?: number | undefined;
  readonly epsilon?: number | undefined;
}

/** Adadelta with Keras 3's rule; slots `accumulated_grad`, `accumulated_delta_var` interleaved. */
export class Adadelta extends Optimizer {
  static override readonly className: string = "Adadelta";
  readonly rho: number;
  readonly epsilon: number;
  private acc: tf.Variable[][] = [];

  constructor(args: AdadeltaArgs = {}) {
    super(args, "adadelta", 0.001);
    this.rho = args.rho ?? 0.95;
    this.epsilon = args.epsilon ?? 1e-7;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    this.acc = this.addSlots(variables, ["accumulated_grad", "accumulated_delta_var"]);
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    const [accGrad, accDelta] = this.acc[index] as [tf.Variable, tf.Variable];
    const rho = this.rho;
    const rms = (x: tf.Tensor) => tf.sqrt(tf.add(x, this.epsilon));
    accGrad.assign(tf.add(tf.mul(accGrad, rho), tf.mul(this.squared(grad, index), 1 - rho)));
    const ratio = tf.div(rms(accDelta), rms(accGrad));
    const delta = tf.neg(tf.mul(ratio, grad));
    // Keras squares the update slice by slice for a looked-up variable: ratio^2 * sum of squares.
    accDelta.assign(
      tf.add(tf.mul(accDelta, rho), tf.mul(tf.mul(tf.square(ratio), this.squared(grad, index)), 1 - rho)),
    );
    variable.assign(tf.add(variable, tf.mul(delta, lr)));
  }

  protected override ownConfig(): JsonObject {
    return { rho: this.rho, epsilon: this.epsilon };
  }
}
