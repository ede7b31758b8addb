import { Callback, type Logs } from "./callback.js";

/** Options of {@link EarlyStopping}, as Keras's. */
export interface EarlyStoppingArgs {
  /** The log to watch (default `val_loss`). */
  readonly monitor?: string | undefined;
  /** The smallest change that counts as an improvement. */
  readonly minDelta?: number | undefined;
  /** Epochs without improvement before stopping. */
  readonly patience?: number | undefined;
  /** `min`, `max`, or `auto` (max for names containing `acc`/`auc`, else min). */
  readonly mode?: "min" | "max" | "auto" | undefined;
  /** A value the monitor must beat before patience counts. */
  readonly baseline?: number | null | undefined;
  /** Epochs to wait before watching. */
  readonly startFromEpoch?: number | undefined;
  /** Put back the weights of the best epoch at the end (needs `getWeights`/`setWeights`). */
  readonly restoreBestWeights?: boolean | undefined;
  /** How to read and restore weights for `restoreBestWeights`. */
  readonly weights?: { get(): unknown; set(value: unknown): void } | undefined;
}

/** Whether bigger is better for a monitor in `auto` mode. */
export function maximizes(monitor: string, mode: "min" | "max" | "auto"): boolean {
  if (mode !== "auto") return mode === "max";
  return /acc|auc|precision|recall/.test(monitor) && !monitor.endsWith("loss");
}

/** Stops training when a monitored value stops improving (Keras's `EarlyStopping`). */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly patience: number;
  /** The epoch training stopped at (0 when it ran to the end). */
  stoppedEpoch = 0;
  /** The best value seen. */
  best = Number.POSITIVE_INFINITY;
  private wait = 0;
  private bestWeights: unknown;
  private readonly better: (a: number, b: number) => boolean;

  constructor(private readonly args: EarlyStoppingArgs = {}) {
    super();
    this.monitor = args.monitor ?? "val_loss";
    this.patience = args.patience ?? 0;
    const delta = Math.abs(args.minDelta ?? 0);
    const max = maximizes(this.monitor, args.mode ?? "auto");
    this.better = max ? (a, b) => a - delta > b : (a, b) => a + delta < b;
    this.reset(max);
  }

  private reset(max: boolean): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.args.baseline ?? (max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY);
    this.bestWeights = undefined;
  }

  override onTrainBegin(): void {
    this.reset(maximizes(this.monitor, this.args.mode ?? "auto"));
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const current = logs[this.monitor];
    if (current === undefined || epoch < (this.args.startFromEpoch ?? 0)) return;
    if (this.args.restoreBestWeights && this.bestWeights === undefined) this.bestWeights = this.args.weights?.get();
    this.wait += 1;
    if (this.better(current, this.best)) {
      this.best = current;
      if (this.args.restoreBestWeights) this.bestWeights = this.args.weights?.get();
      // Keras resets the wait only when there is no baseline or the baseline is beaten.
      this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.ctx.stopTraining = true;
      if (this.args.restoreBestWeights && this.bestWeights !== undefined) this.args.weights?.set(this.bestWeights);
    }
  }
}
