import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { childArgs } from "../build-freshness.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../..", import.meta.url));

/** What happened to one input. */
export type Outcome = "ok" | "typed" | "generic" | "crash" | "hang" | "over-allocation" | "harness-error";

/** Limits of one input's load. */
export interface FuzzLimits {
  /** Wall time from the start of the load (not of the process) before the child counts as hung. Default 30 s. */
  readonly timeoutMs: number;
  /** Wall time for a new child to start (node, the backend) before the load: a busy machine is slow. Default 300 s. */
  readonly startMs: number;
  /** RSS growth allowed: `factor` x the input's size + `fixedBytes` (default 4 x + 200 MB). */
  readonly factor: number;
  readonly fixedBytes: number;
  /** Inputs one child process loads before it is replaced by a fresh one. Default 100; 1 = a process per input. */
  readonly perChild: number;
}

export const DEFAULT_LIMITS: FuzzLimits = Object.freeze({
  timeoutMs: 30_000,
  startMs: 300_000,
  factor: 4,
  fixedBytes: 200 * 2 ** 20,
  perChild: 100,
});

/** A child whose peak RSS rose this far above its start is replaced, so its peak stays a per-input measure. */
const PEAK_RESET_BYTES = 100 * 2 ** 20;

/** One input for a child: the action and the files it loads. */
export interface ChildRequest {
  readonly action: string;
  readonly path: string;
  readonly architecture?: string | undefined;
  /** The input's size in bytes: its RSS allowance is computed from it. */
  readonly bytes: number;
}

/** One input's verdict. */
export interface ChildVerdict {
  readonly outcome: Outcome;
  readonly detail: string;
  /** Peak RSS growth over the child's RSS when the load started, bytes. */
  readonly grew: number;
  /** Tensors still allocated after the load and its disposal (0 for a clean load or refusal). */
  readonly tensorsLeft: number;
}

interface Answer {
  readonly id: number;
  readonly outcome: Outcome;
  readonly error?: string;
  readonly rssBefore: number;
  readonly maxRss: number;
  readonly maxRssBefore: number;
  readonly tensorsLeft: number;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** A running child and the lines it has printed but nobody has read yet. */
class Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  stderr = "";
  exited: { code: number | null; signal: string | null } | undefined;
  served = 0;
  startRss = 0;
  private wake: (() => void) | undefined;

  constructor() {
    // The child's own limit on the V8 heap; WASM memory and buffers are watched through RSS.
    this.process = spawn(process.execPath, ["--max-old-space-size=2048", ...childArgs(CHILD, [])], {
      cwd: REPO,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let partial = "";
    this.process.stdout.on("data", (d: Buffer) => {
      partial += String(d);
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      this.lines.push(...parts.filter((l) => l.trim() !== ""));
      this.wake?.();
    });
    this.process.stderr.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + String(d)).slice(-2000);
    });
    this.process.on("exit", (code, signal) => {
      this.exited = { code, signal };
      this.wake?.();
    });
    // A child killed mid-write makes its stdin error; the exit handler says what happened.
    this.process.stdin.on("error", () => {});
  }

  /** Resolves at the next line or exit, or after `ms`. */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  kill(): void {
    if (this.exited === undefined) this.process.kill("SIGKILL");
  }
}

/**
 * Runs fuzz inputs in a child process that loads one after another, and starts a fresh child
 * after a crash, a hang, an over-allocation, `perChild` inputs, or a peak-RSS rise that would
 * blur the next input's measure. Starting node and the backend costs ~0.75 CPU-s; a load of a
 * small mutant costs milliseconds, so reusing the process makes long runs ~20x cheaper, while
 * each input still gets its own time limit, RSS watch and verdict.
 */
export class ChildRunner {
  private child: Child | undefined;
  private nextId = 0;

  constructor(private readonly limits: FuzzLimits) {}

  async run(request: ChildRequest): Promise<ChildVerdict> {
    const child = await this.ready();
    if (child === undefined)
      return { outcome: "harness-error", detail: "the fuzz child did not start", grew: 0, tensorsLeft: 0 };
    const id = this.nextId++;
    child.served++;
    child.process.stdin.write(`${JSON.stringify({ id, ...request, bytes: undefined })}\n`);
    const allowed = this.limits.factor * request.bytes + this.limits.fixedBytes;
    let rssBefore = 0;
    let peak = 0;
    let deadline = Date.now() + this.limits.timeoutMs;
    for (;;) {
      const line = child.lines.shift();
      if (line !== undefined) {
        const message = JSON.parse(line) as Partial<Answer> & { loading?: boolean };
        if (message.loading === true) {
          rssBefore = message.rssBefore ?? 0;
          deadline = Date.now() + this.limits.timeoutMs;
          continue;
        }
        const answer = message as Answer;
        const raised = answer.maxRss > answer.maxRssBefore;
        // A new process peak was reached during this input: that peak is this input's.
        const grew = Math.max(0, Math.max(raised ? answer.maxRss : 0, peak) - answer.rssBefore);
        if (answer.maxRss - child.startRss > PEAK_RESET_BYTES || child.served >= this.limits.perChild) this.retire();
        if (grew > allowed)
          return { outcome: "over-allocation", detail: `RSS grew ${grew} > ${allowed}`, grew, tensorsLeft: 0 };
        return { outcome: answer.outcome, detail: answer.error ?? "", grew, tensorsLeft: answer.tensorsLeft };
      }
      if (child.exited !== undefined) return this.lost(child, peak - rssBefore);
      if (rssBefore > 0) {
        const rss = rssOf(child.process.pid ?? 0);
        peak = Math.max(peak, rss);
        if (rss > rssBefore + allowed) {
          this.retire(true);
          return {
            outcome: "over-allocation",
            detail: `RSS ${rss} > ${rssBefore} + ${allowed}`,
            grew: rss - rssBefore,
            tensorsLeft: 0,
          };
        }
      }
      if (Date.now() > deadline) {
        this.retire(true);
        return { outcome: "hang", detail: `no answer in ${this.limits.timeoutMs} ms`, grew: 0, tensorsLeft: 0 };
      }
      await child.changed(25);
    }
  }

  /** Ends the child (and its process) when the run is over. */
  close(): void {
    this.retire();
  }

  /** The running child, or a new one once it says it is ready (undefined if it never does). */
  private async ready(): Promise<Child | undefined> {
    if (this.child !== undefined && this.child.exited === undefined) return this.child;
    const child = new Child();
    this.child = child;
    const deadline = Date.now() + this.limits.startMs;
    while (Date.now() < deadline && child.exited === undefined) {
      const line = child.lines.shift();
      if (line?.includes('"ready":true')) {
        child.startRss = rssOf(child.process.pid ?? 0);
        return child;
      }
      await child.changed(100);
    }
    // Starting is not an input's doing: a child that cannot start is the harness's failure.
    process.stderr.write(`fuzz child did not start: ${child.stderr.trim().slice(-400)}\n`);
    this.retire(true);
    return undefined;
  }

  private retire(kill = false): void {
    const child = this.child;
    this.child = undefined;
    if (child === undefined) return;
    if (kill) child.kill();
    else child.process.stdin.end();
  }

  /** The verdict on an input whose child exited before answering. */
  private lost(child: Child, grew: number): ChildVerdict {
    this.child = undefined;
    const { code, signal } = child.exited ?? { code: null, signal: null };
    const tail = child.stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400);
    return { outcome: "crash", detail: `exit ${code ?? signal}: ${tail}`, grew: Math.max(0, grew), tensorsLeft: 0 };
  }
}
