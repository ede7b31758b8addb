import { Callback, type Logs } from "./callback.js";
import { maximizes } from "./early-stopping.js";
import { EngineError } from "../../errors.js";

/** Options of {@link ReduceLROnPlateau}, as Keras's. */
export interface ReduceLROnPlateauArgs {
  readonly monitor?: string | undefined;
  /** The factor the rate is multiplied by (default 0.1). */
  readonly factor?: number | undefined;
  /** Epochs without improvement before reducing (default 10). */
  readonly patience?: number | undefined;
  readonly mode?: "min" | "max" | "auto" | undefined;
  /** The smallest change that counts as an improvement (default 1e-4). */
  readonly minDelta?: number | undefined;
  /** Epochs to wait after a reduction (default 0). */
  readonly cooldown?: number | undefined;
  /** The floor of the rate (default 0). */
  readonly minLr?: number | undefined;
}

/** Multiplies the learning rate by `factor` when a monitored value plateaus. */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  private readonly factor: number;
  private readonly patience: number;
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly better: (a: number, b: number) => boolean;
  private readonly max: boolean;
  private best = 0;
  private wait = 0;
  private cooldownCounter = 0;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    this.monitor = args.monitor ?? "val_loss";
    this.factor = args.factor ?? 0.1;
    if (this.factor >= 1)
      throw new EngineError("invalid-argument", "cannot make ReduceLROnPlateau: it does not support a factor >= 1");
    this.patience = args.patience ?? 10;
    this.cooldown = args.cooldown ?? 0;
    this.minLr = args.minLr ?? 0;
    const delta = args.minDelta ?? 1e-4;
    this.max = maximizes(this.monitor, args.mode ?? "auto");
    this.better = this.max ? (a, b) => a > b + delta : (a, b) => a < b - delta;
    this.resetState();
  }

  private resetState(): void {
    this.best = this.max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    this.wait = 0;
    this.cooldownCounter = 0;
  }

  override onTrainBegin(): void {
    this.resetState();
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    const current = logs[this.monitor];
    if (current === undefined) return;
    logs.learning_rate = this.ctx.learningRate;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.better(current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const old = this.ctx.learningRate;
        if (old > this.minLr) {
          this.ctx.learningRate = Math.max(old * this.factor, this.minLr);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
