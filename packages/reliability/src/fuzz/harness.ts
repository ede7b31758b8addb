import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { childArgs } from "../build-freshness.js";
import { seededRandom } from "../seeded-random.js";
import { type Mutant, makeMutant } from "./mutants.js";
import type { FuzzFormat, Seed } from "./seeds.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../..", import.meta.url));

/** What happened to one input. */
export type Outcome = "ok" | "typed" | "generic" | "crash" | "hang" | "over-allocation" | "harness-error";
export const OUTCOMES: readonly Outcome[] = [
  "ok",
  "typed",
  "generic",
  "crash",
  "hang",
  "over-allocation",
  "harness-error",
];

/** One input's record. */
export interface FuzzResult {
  readonly format: FuzzFormat;
  readonly index: number;
  readonly outcome: Outcome;
  readonly what: string;
  readonly detail: string;
  /** Peak RSS growth over the child's RSS before loading, bytes. */
  readonly grew: number;
}

/** Limits of one child. */
export interface FuzzLimits {
  /** Wall time from the start of the load (not of the process) before the child counts as hung. Default 30 s. */
  readonly timeoutMs: number;
  /** Wall time for the child to start (node, the backend) before the load: a busy machine is slow. Default 300 s. */
  readonly startMs: number;
  /** RSS growth allowed: `factor` x the input's size + `fixedBytes` (default 4 x + 200 MB). */
  readonly factor: number;
  readonly fixedBytes: number;
}

export const DEFAULT_LIMITS: FuzzLimits = Object.freeze({
  timeoutMs: 30_000,
  startMs: 300_000,
  factor: 4,
  fixedBytes: 200 * 2 ** 20,
});

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

/** Runs one mutant in its own process and classifies what happened. */
function runChild(
  action: string,
  mutant: Mutant,
  limits: FuzzLimits,
): Promise<{ outcome: Outcome; detail: string; grew: number }> {
  const args = [
    action,
    join(mutant.dir, mutant.target),
    ...(mutant.architecture !== undefined ? [join(mutant.dir, mutant.architecture)] : []),
  ];
  // The child's own limit on the V8 heap; WASM memory and buffers are watched through RSS.
  const child = spawn(process.execPath, ["--max-old-space-size=2048", ...childArgs(CHILD, args)], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const allowed = limits.factor * mutant.bytes + limits.fixedBytes;
  let stdout = "";
  let stderr = "";
  let verdict: { outcome: Outcome; detail: string } | undefined;
  // RSS of a started child before it loads anything (node + the WASM backend), learned from its report.
  let baseline = 0;
  let peak = 0;
  const hang = (ms: number, what: string) =>
    setTimeout(() => {
      if (verdict === undefined) verdict = { outcome: "hang", detail: what };
      child.kill("SIGKILL");
    }, ms);
  let timer = hang(limits.startMs, `did not start in ${limits.startMs} ms`);
  child.stdout.on("data", (d: Buffer) => {
    stdout += String(d);
    const started = /\{"loading":true,"rssBefore":(\d+)\}/.exec(stdout);
    if (started !== null && baseline === 0) {
      baseline = Number(started[1]);
      clearTimeout(timer);
      timer = hang(limits.timeoutMs, `no answer in ${limits.timeoutMs} ms`);
    }
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr = (stderr + String(d)).slice(-2000);
  });
  const watch = setInterval(() => {
    const rss = rssOf(child.pid ?? 0);
    peak = Math.max(peak, rss);
    // Until the child reports its baseline (after starting), allow a generous one (node + tsx + WASM).
    const base = baseline || 400 * 2 ** 20;
    if (rss > base + allowed && verdict === undefined) {
      verdict = { outcome: "over-allocation", detail: `RSS ${rss} > ${base} + ${allowed}` };
      child.kill("SIGKILL");
    }
  }, 25);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearInterval(watch);
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop() ?? "";
      let report: { outcome: Outcome; error?: string; rssBefore: number; maxRss: number } | undefined;
      try {
        report = JSON.parse(line) as typeof report;
      } catch {
        report = undefined;
      }
      if (report !== undefined) baseline = report.rssBefore;
      const grew = report !== undefined ? Math.max(0, Math.max(report.maxRss, peak) - report.rssBefore) : peak;
      if (verdict !== undefined) return resolve({ ...verdict, grew });
      if (report === undefined || code !== 0) {
        return resolve({
          outcome: "crash",
          detail: `exit ${code ?? signal}: ${stderr.trim().split("\n").slice(-3).join(" | ").slice(0, 400)}`,
          grew,
        });
      }
      if (grew > allowed) return resolve({ outcome: "over-allocation", detail: `RSS grew ${grew} > ${allowed}`, grew });
      resolve({ outcome: report.outcome, detail: report.error ?? "", grew });
    });
  });
}

/** Options of {@link fuzz}. */
export interface FuzzOptions {
  readonly seeds: readonly Seed[];
  readonly formats: readonly FuzzFormat[];
  readonly perFormat: number;
  readonly seed: number;
  readonly workDir: string;
  readonly jobs?: number | undefined;
  readonly limits?: FuzzLimits | undefined;
  readonly onResult?: ((result: FuzzResult) => void) | undefined;
  /** Stop starting inputs at this time (ms since the epoch): a run that must fit a time budget. */
  readonly stopAt?: number | undefined;
}

/**
 * The fuzz run: for each format, `perFormat` mutants of its seeds (chosen and edited by a
 * generator seeded with `seed` and the format, so a run is reproducible), each loaded in its
 * own child process under time and memory limits.
 */
export async function fuzz(options: FuzzOptions): Promise<FuzzResult[]> {
  const tasks: { format: FuzzFormat; index: number }[] = [];
  for (let i = 0; i < options.perFormat; i++) for (const format of options.formats) tasks.push({ format, index: i });
  const results: FuzzResult[] = [];
  const limits = options.limits ?? DEFAULT_LIMITS;
  const worker = async (slot: number): Promise<void> => {
    for (let task = tasks.shift(); task !== undefined; task = tasks.shift()) {
      if (options.stopAt !== undefined && Date.now() > options.stopAt) break;
      const { format, index } = task;
      // One generator per input: any input can be re-made alone from (seed, format, index).
      const random = seededRandom(
        (options.seed * 1_000_003 + index * 7919 + format.length * 104_729 + format.charCodeAt(0)) >>> 0,
      );
      const candidates = options.seeds.filter((s) => s.format === format);
      const seed = candidates[Math.floor(random() * candidates.length)]!;
      const dir = join(options.workDir, `job${slot}`);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      let result: FuzzResult;
      try {
        const mutant = await makeMutant(seed, dir, random);
        const r = await runChild(seed.action, mutant, limits);
        result = { format, index, outcome: r.outcome, what: mutant.what, detail: r.detail, grew: r.grew };
      } catch (error) {
        result = {
          format,
          index,
          outcome: "harness-error",
          what: `${seed.name}: the mutator failed`,
          detail: String(error).slice(0, 300),
          grew: 0,
        };
      }
      results.push(result);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: options.jobs ?? 2 }, (_, i) => worker(i)));
  return results;
}
