import { Callback, type Logs } from "./callback.js";

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
