import { Callback, type Logs } from "./callback.js";

/** Sets the learning rate at each epoch's start from `schedule(epoch, currentRate)`. */
export class LearningRateScheduler extends Callback {
  constructor(private readonly schedule: (epoch: number, lr: number) => number) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    const lr = this.schedule(epoch, this.ctx.learningRate);
    if (!Number.isFinite(lr)) throw new RangeError(`LearningRateScheduler: the schedule returned ${lr} for epoch ${epoch}`);
    this.ctx.learningRate = lr;
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    logs.learning_rate = this.ctx.learningRate;
  }
}

/** Stops training when a batch's loss is NaN or infinite. */
export class TerminateOnNaN extends Callback {
  /** The batch that stopped training, if any. */
  stoppedAtBatch: number | null = null;

  override onTrainBatchEnd(batch: number, logs: Logs): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.stoppedAtBatch = batch;
      this.ctx.stopTraining = true;
    }
  }
}

/** Hooks given as functions (Keras's `LambdaCallback`). */
export interface LambdaCallbackArgs {
  readonly onEpochBegin?: ((epoch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onEpochEnd?: ((epoch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainBatchBegin?: ((batch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainBatchEnd?: ((batch: number, logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainBegin?: ((logs: Logs) => void | Promise<void>) | undefined;
  readonly onTrainEnd?: ((logs: Logs) => void | Promise<void>) | undefined;
}

/** A callback made of functions. */
export class LambdaCallback extends Callback {
  constructor(private readonly fns: LambdaCallbackArgs) {
    super();
  }

  override onEpochBegin(epoch: number, logs: Logs): void | Promise<void> {
    return this.fns.onEpochBegin?.(epoch, logs);
  }

  override onEpochEnd(epoch: number, logs: Logs): void | Promise<void> {
    return this.fns.onEpochEnd?.(epoch, logs);
  }

  override onTrainBatchBegin(batch: number, logs: Logs): void | Promise<void> {
    return this.fns.onTrainBatchBegin?.(batch, logs);
  }

  override onTrainBatchEnd(batch: number, logs: Logs): void | Promise<void> {
    return this.fns.onTrainBatchEnd?.(batch, logs);
  }

  override onTrainBegin(logs: Logs): void | Promise<void> {
    return this.fns.onTrainBegin?.(logs);
  }

  override onTrainEnd(logs: Logs): void | Promise<void> {
    return this.fns.onTrainEnd?.(logs);
  }
}

/** Options of {@link CSVLogger}. */
export interface CSVLoggerArgs {
  /** Receives the file's text as it grows (header, then one row per epoch). */
  readonly write: (text: string) => void | Promise<void>;
  readonly separator?: string | undefined;
}

/**
 * Writes `epoch,<keys...>` then one row per epoch, as Keras's `CSVLogger` (keys sorted).
 *
 * The sink is injected: the engine knows nothing about files (the facade passes a Store append).
 */
export class CSVLogger extends Callback {
  private keys: string[] | null = null;

  constructor(private readonly args: CSVLoggerArgs) {
    super();
  }

  override onTrainBegin(): void {
    this.keys = null;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const sep = this.args.separator ?? ",";
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      await this.args.write(`${["epoch", ...this.keys].join(sep)}\n`);
    }
    const row = [String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? "NA" : pythonFloat(logs[k]!)))];
    await this.args.write(`${row.join(sep)}\n`);
  }
}

// Python's repr of a float: shortest round-trip digits, `nan`, `inf`.
function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointArgs {
  /**
   * Saves the model; gets the file path with `{epoch}` (1-based, `{epoch:02d}` padded) and
   * log keys (`{val_loss:.2f}`) filled in. The facade injects its `saveModel`/`saveWeights`.
   */
  readonly save: (path: string, epoch: number, logs: Logs) => void | Promise<void>;
  readonly filepath: string;
  readonly monitor?: string | undefined;
  /** Save only when the monitor improves. */
  readonly saveBestOnly?: boolean | undefined;
  readonly mode?: "min" | "max" | "auto" | undefined;
}

/** Saves the model at each epoch end, or when the monitor improves. */
export class ModelCheckpoint extends Callback {
  private best: number;
  private readonly max: boolean;

  constructor(private readonly args: ModelCheckpointArgs) {
    super();
    const monitor = args.monitor ?? "val_loss";
    this.max = args.mode === "max" || (args.mode !== "min" && /acc|auc/.test(monitor) && !monitor.endsWith("loss"));
    this.best = this.max ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.args.saveBestOnly) {
      const current = logs[this.args.monitor ?? "val_loss"];
      if (current === undefined) return;
      const improved = this.max ? current > this.best : current < this.best;
      if (!improved) return;
      this.best = current;
    }
    await this.args.save(formatPath(this.args.filepath, epoch + 1, logs), epoch, logs);
  }
}

/** Fills `{epoch}`, `{epoch:02d}`, `{val_loss:.4f}` in a checkpoint path. */
export function formatPath(template: string, epoch: number, logs: Logs): string {
  return template.replace(/\{(\w+)(?::([^}]*))?\}/g, (whole, key: string, spec: string | undefined) => {
    const value = key === "epoch" ? epoch : logs[key];
    if (value === undefined) return whole;
    if (spec === undefined) return String(value);
    const int = /^0?(\d+)d$/.exec(spec);
    if (int) return String(Math.trunc(value)).padStart(Number(int[1]), spec.startsWith("0") ? "0" : " ");
    const fixed = /^\.(\d+)f$/.exec(spec);
    if (fixed) return value.toFixed(Number(fixed[1]));
    return String(value);
  });
}
