import { Callback, type Logs } from "./callback.js";

/** Where progress text goes: a write function (stdout's by default) and whether it is a terminal. */
export interface ProgressSink {
  write(text: string): void;
  readonly isTTY: boolean;
}

/** The process's stdout as a sink, or a silent one outside Node. */
export function stdoutSink(): ProgressSink {
  const out = (globalThis as { process?: { stdout?: { write(s: string): unknown; isTTY?: boolean } } }).process?.stdout;
  if (out === undefined) return { write: () => {}, isTTY: false };
  return { write: (s) => void out.write(s), isTTY: out.isTTY === true };
}

/** Keras 2's `_format_time`: ` 1ms/step`, ` 2s/step`, ` 350us/step`. */
export function formatPerUnit(seconds: number, unit: string): string {
  if (seconds >= 1) return ` ${seconds.toFixed(0)}s/${unit}`;
  if (seconds >= 1e-3) return ` ${(seconds * 1e3).toFixed(0)}ms/${unit}`;
  return ` ${(seconds * 1e6).toFixed(0)}us/${unit}`;
}

/** A metric value as Keras prints it: 4 decimals, or exponent form when tiny. */
export function formatValue(value: number): string {
  if (Math.abs(value) > 1e-3) return value.toFixed(4);
  // Python's %.4e: two exponent digits at least.
  const [mantissa, exp] = value.toExponential(4).split("e") as [string, string];
  const sign = exp.startsWith("-") ? "-" : "+";
  return `${mantissa}e${sign}${exp.replace(/^[-+]/, "").padStart(2, "0")}`;
}

/**
 * The bar of a Keras 2 progress line: `4/4 [==============================]`, with `>` at
 * the head while running.
 */
export function formatBar(current: number, target: number, width = 30): string {
  const digits = Math.floor(Math.log10(Math.max(target, 1))) + 1;
  let bar = `${String(current).padStart(digits)}/${target} [`;
  const progWidth = Math.floor((width * current) / target);
  if (progWidth > 0) {
    bar += "=".repeat(progWidth - 1);
    bar += current < target ? ">" : "=";
  }
  bar += ".".repeat(width - progWidth);
  return `${bar}]`;
}

/** The metric tail: ` - loss: 0.3874 - accuracy: 0.9000`. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .map(([k, v]) => ` - ${k}: ${formatValue(v)}`)
    .join("");
}

/**
 * Prints Keras 2-style progress: `Epoch 1/3`, then with verbose 1 a bar redrawn per batch on a
 * terminal (the final line only, elsewhere), with verbose 2 one line per epoch.
 */
export class ProgbarLogger extends Callback {
  private epochStart = 0;
  private lastWidth = 0;
  private seen = 0;

  constructor(
    private readonly sink: ProgressSink = stdoutSink(),
    private readonly clock: () => number = () => performance.now() / 1000,
  ) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    const { epochs } = this.ctx.params;
    this.sink.write(`Epoch ${epoch + 1}/${epochs}\n`);
    this.epochStart = this.clock();
    this.lastWidth = 0;
    this.seen = 0;
  }

  override onTrainBatchEnd(batch: number, logs: Logs): void {
    this.seen = batch + 1;
    const { steps, verbose } = this.ctx.params;
    if (verbose !== 1 || !this.sink.isTTY || this.seen >= steps) return;
    const elapsed = this.clock() - this.epochStart;
    const eta = (elapsed / this.seen) * (steps - this.seen);
    const line = `${formatBar(this.seen, steps)} - ETA: ${formatEta(eta)}${formatLogs(logs)}`;
    this.redraw(line);
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    const { steps, verbose } = this.ctx.params;
    const elapsed = this.clock() - this.epochStart;
    const perStep = elapsed / Math.max(steps, 1);
    if (verbose === 1) {
      const line = `${formatBar(steps, steps)} - ${elapsed.toFixed(0)}s${formatPerUnit(perStep, "step")}${formatLogs(logs)}`;
      this.redraw(line);
      this.sink.write("\n");
    } else if (verbose === 2) {
      this.sink.write(
        `${steps}/${steps} - ${elapsed.toFixed(0)}s${formatLogs(logs)} -${formatPerUnit(elapsed, "epoch")} -${formatPerUnit(perStep, "step")}\n`,
      );
    }
  }

  private redraw(line: string): void {
    if (this.sink.isTTY && this.lastWidth > 0) this.sink.write(`\b`.repeat(this.lastWidth) + "\r");
    const padded = line.length < this.lastWidth ? line + " ".repeat(this.lastWidth - line.length) : line;
    this.sink.write(padded);
    this.lastWidth = padded.length;
  }
}

function formatEta(seconds: number): string {
  if (seconds > 3600)
    return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
  if (seconds > 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;
  return `${seconds.toFixed(0)}s`;
}
