import { Callback, type Logs } from "./callback.js";

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
