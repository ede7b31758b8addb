import * as tf from "@tensorflow/tfjs-core";
import type { JsonObject } from "@kerastore/core";
import { canFuse, runFused } from "../../ops/wasm/optimizer-updates.js";
import type { TrainableVariable } from "../trainable.js";
import { Optimizer, type OptimizerArgs } from "./optimizer.js";

/** Options of {@link SGD}. */
export interface SGDArgs extends OptimizerArgs {
  /** Velocity decay (default 0: plain gradient descent, no slots). */
  readonly momentum?: number | undefined;
  /** Nesterov momentum (default false). */
  readonly nesterov?: boolean | undefined;
}

/** Gradient descent with optional (Nesterov) momentum; Keras 3's update rule and slots. */
export class SGD extends Optimizer {
  static override readonly className: string = "SGD";
  readonly momentum: number;
  readonly nesterov: boolean;
  private m: tf.Variable[][] = [];

  constructor(args: SGDArgs = {}) {
    super(args, "sgd", 0.01);
    this.momentum = args.momentum ?? 0;
    this.nesterov = args.nesterov ?? false;
  }

  protected override createSlots(variables: readonly TrainableVariable[]): void {
    if (this.momentum !== 0) this.m = this.addSlots(variables, ["momentum"]);
  }

  protected override updateStep(grad: tf.Tensor, variable: tf.Variable, index: number, lr: number): void {
    if (canFuse(variable, "KerastoreSGDUpdate")) {
      // One kernel: the ops below, bit for bit (ops/wasm/optimizer-updates.ts).
      const attrs = { lr: Math.fround(lr), momentum: Math.fround(this.momentum), nesterov: this.nesterov };
      if (this.momentum === 0) {
        variable.assign(runFused("KerastoreSGDUpdate", { x: variable, g: grad }, attrs)[0]!);
        return;
      }
      const m = this.m[index]![0]!;
      const [x2, m2] = runFused("KerastoreSGDUpdate", { x: variable, g: grad, m }, attrs);
      m.assign(m2!);
      variable.assign(x2!);
      return;
    }
    if (this.momentum === 0) {
      variable.assign(tf.sub(variable, tf.mul(grad, lr)));
      return;
    }
    const m = this.m[index]![0]!;
    const step = tf.sub(tf.mul(m, Math.fround(this.momentum)), tf.mul(grad, lr));
    m.assign(step);
    if (this.nesterov)
      variable.assign(tf.add(variable, tf.sub(tf.mul(m, Math.fround(this.momentum)), tf.mul(grad, lr))));
    else variable.assign(tf.add(variable, m));
  }

  protected override ownConfig(): JsonObject {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}
