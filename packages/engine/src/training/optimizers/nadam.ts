import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link Nadam}. */
export interface NadamArgs extends OptimizerArgs {
  readonly beta1?: number | undefined;
  readonly beta2?: number | undefined;
  readonly epsilon?: number | undefined;
}

/**
 * Nadam with Keras 3's rule: slots `momentum`, `velocity` interleaved, then the scalar
 * `variable` (Keras's `_u_product`, the running product of the momentum schedule).
 */
export class Nadam extends Optimizer {
  static override readonly className: string = "Nadam";
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private mv: tf.Variable[][] = [];
  private uProduct = 1;

  constructor(args: NadamArgs = {}) {
    super(args, "nadam", 0.001);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    this.mv = this.addSlots(variables, ["momentum", "velocity"]);
    this.addScalar(
      "variable",
      () => this.uProduct,
      (v) => {
        this.uProduct = v;
      },
    );
  }

  protected override beforeUpdates(): void {
    this.uProduct = Math.fround(this.uProduct * this.beta1 * (1 - 0.5 * 0.96 ** (this.iterations + 1)));
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    const step = this.iterations + 1;
    const b1 = Math.fround(this.beta1);
    const b2 = Math.fround(this.beta2);
    const decay = Math.fround(0.96);
    const uT = b1 * (1 - 0.5 * decay ** step);
    const uT1 = b1 * (1 - 0.5 * decay ** (step + 1));
    const uProductT = this.uProduct;
    const uProductT1 = uProductT * uT1;
    const b2Power = b2 ** step;
    const [m, v] = this.mv[index] as [tf.Variable, tf.Variable];
    m.assign(tf.add(m, tf.mul(tf.sub(grad, m), 1 - b1)));
    v.assign(tf.add(v, tf.mul(tf.sub(this.squared(grad, index), v), 1 - b2)));
    const mHat = tf.add(tf.mul(m, uT1 / (1 - uProductT1)), tf.mul(grad, (1 - uT) / (1 - uProductT)));
    const vHat = tf.div(v, 1 - b2Power);
    variable.assign(tf.sub(variable, tf.div(tf.mul(mHat, lr), tf.add(tf.sqrt(vHat), this.epsilon))));
  }

  protected override ownConfig(): JsonObject {
    return { beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon };
  }
}
