import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { canFuse, runFused } from "../../ops/wasm/optimizer-updates.js";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link RMSprop}. */
export interface RMSpropArgs extends OptimizerArgs {
  readonly rho?: number | undefined;
  readonly momentum?: number | undefined;
  readonly epsilon?: number | undefined;
  /** Normalize by the variance estimate instead of the second moment. */
  readonly centered?: boolean | undefined;
}

/** RMSprop with Keras 3's rule; slot groups `velocity`, then `momentum`, then `average_gradient`. */
export class RMSprop extends Optimizer {
  static override readonly className: string = "RMSprop";
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;
  private vel: tf.Variable[][] = [];
  private mom: tf.Variable[][] = [];
  private avg: tf.Variable[][] = [];

  constructor(args: RMSpropArgs = {}) {
    super(args, "rm_sprop", 0.001);
    this.rho = args.rho ?? 0.9;
    this.momentum = args.momentum ?? 0;
    this.epsilon = args.epsilon ?? 1e-7;
    this.centered = args.centered ?? false;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    this.vel = this.addSlots(variables, ["velocity"]);
    if (this.momentum > 0) this.mom = this.addSlots(variables, ["momentum"]);
    if (this.centered) this.avg = this.addSlots(variables, ["average_gradient"]);
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    const rho = this.rho;
    const velocity = this.vel[index]![0]!;
    if (!this.isSparse(index) && canFuse(variable, "KerastoreRMSpropUpdate")) {
      // One kernel: the ops below, bit for bit (ops/wasm/optimizer-updates.ts).
      const inputs: Record<string, tf.Tensor> = { x: variable, g: grad, v: velocity };
      if (this.momentum > 0) inputs.mom = this.mom[index]![0]!;
      if (this.centered) inputs.avg = this.avg[index]![0]!;
      const outs = runFused("KerastoreRMSpropUpdate", inputs, {
        rho: Math.fround(rho),
        c: Math.fround(1 - rho),
        lr: Math.fround(lr),
        eps: Math.fround(this.epsilon),
        momentum: Math.fround(this.momentum),
      });
      velocity.assign(outs[1]!);
      if (this.momentum > 0) this.mom[index]![0]!.assign(outs[2]!);
      if (this.centered) this.avg[index]![0]!.assign(outs[this.momentum > 0 ? 3 : 2]!);
      variable.assign(outs[0]!);
      return;
    }
    velocity.assign(tf.add(tf.mul(velocity, rho), tf.mul(this.squared(grad, index), 1 - rho)));
    let denominator: tf.Tensor;
    if (this.centered) {
      const avg = this.avg[index]![0]!;
      avg.assign(tf.add(tf.mul(avg, rho), tf.mul(grad, 1 - rho)));
      denominator = tf.add(tf.sub(velocity, tf.square(avg)), this.epsilon);
    } else {
      denominator = tf.add(velocity, this.epsilon);
    }
    const increment = tf.div(tf.mul(grad, lr), tf.sqrt(denominator));
    if (this.momentum > 0) {
      const mom = this.mom[index]![0]!;
      mom.assign(tf.add(tf.mul(mom, this.momentum), increment));
      variable.assign(tf.sub(variable, mom));
    } else {
      variable.assign(tf.sub(variable, increment));
    }
  }

  protected override ownConfig(): JsonObject {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
