import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { canFuse, runFused } from "../../ops/wasm/optimizer-updates.js";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link Adam} and {@link AdamW}. */
export interface AdamArgs extends OptimizerArgs {
  readonly beta1?: number | undefined;
  readonly beta2?: number | undefined;
  readonly epsilon?: number | undefined;
  /** Keep the running maximum of the second moment (AMSGrad). */
  readonly amsgrad?: boolean | undefined;
}

/** Adam with Keras 3's update rule: slots `momentum`, `velocity` (interleaved), then `velocity_hat`. */
export class Adam extends Optimizer {
  static override readonly className: string = "Adam";
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;
  private mv: tf.Variable[][] = [];
  private vHat: tf.Variable[][] = [];

  constructor(args: AdamArgs = {}, defaultName = "adam") {
    super(args, defaultName, 0.001);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
    this.amsgrad = args.amsgrad ?? false;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    this.mv = this.addSlots(variables, ["momentum", "velocity"]);
    if (this.amsgrad) this.vHat = this.addSlots(variables, ["velocity_hat"]);
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    const step = this.iterations + 1;
    const b1 = Math.fround(this.beta1);
    const b2 = Math.fround(this.beta2);
    const alpha = (lr * Math.sqrt(1 - b2 ** step)) / (1 - b1 ** step);
    const [m, v] = this.mv[index] as [tf.Variable, tf.Variable];
    if (!this.amsgrad && canFuse(variable, "KerastoreAdamUpdate")) {
      // One kernel: the ops below, bit for bit (ops/wasm/optimizer-updates.ts); a looked-up
      // variable passes its gradient squared slice by slice.
      const attrs = { c1: Math.fround(1 - this.beta1), c2: Math.fround(1 - this.beta2), alpha: Math.fround(alpha) };
      const sq = this.isSparse(index) ? { sq: this.squared(grad, index) } : {};
      const [x2, m2, v2] = runFused(
        "KerastoreAdamUpdate",
        { x: variable, g: grad, m, v, ...sq },
        {
          ...attrs,
          eps: Math.fround(this.epsilon),
        },
      );
      m.assign(m2!);
      v.assign(v2!);
      variable.assign(x2!);
      return;
    }
    m.assign(tf.add(m, tf.mul(tf.sub(grad, m), 1 - this.beta1)));
    v.assign(tf.add(v, tf.mul(tf.sub(this.squared(grad, index), v), 1 - this.beta2)));
    let denom: tf.Tensor = v;
    if (this.amsgrad) {
      const vHat = this.vHat[index]![0]!;
      vHat.assign(tf.maximum(vHat, v));
      denom = vHat;
    }
    variable.assign(tf.sub(variable, tf.div(tf.mul(m, alpha), tf.add(tf.sqrt(denom), this.epsilon))));
  }

  protected override ownConfig(): JsonObject {
    return { beta_1: this.beta1, beta_2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}

/** Adam with decoupled weight decay (default 0.004), as Keras 3's AdamW. */
export class AdamW extends Adam {
  static override readonly className: string = "AdamW";

  constructor(args: AdamArgs = {}) {
    super({ ...args, weightDecay: args.weightDecay ?? 0.004 }, "adam_w");
  }
}
