import { cp, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { seededRandom } from "../seeded-random.js";
import { makeMutant } from "./mutants.js";
import { ChildRunner, DEFAULT_LIMITS, type FuzzLimits, type Outcome } from "./runner.js";
import type { FuzzFormat, Seed } from "./seeds.js";

export { DEFAULT_LIMITS, type FuzzLimits, type Outcome } from "./runner.js";

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
  /** Tensors the load left allocated after disposing what it made. */
  readonly tensorsLeft: number;
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
  /** Only these inputs (each re-made from the run's seed, its format and its index). */
  readonly only?: readonly { format: FuzzFormat; index: number }[] | undefined;
  /** Copy each input's files here (`<format>-<index>/`) before loading it, to look at it later. */
  readonly keepDir?: string | undefined;
  /** Stop starting inputs at this time (ms since the epoch): a run that must fit a time budget. */
  readonly stopAt?: number | undefined;
}

/**
 * The fuzz run: for each format, `perFormat` mutants of its seeds (chosen and edited by a
 * generator seeded with `seed` and the format, so a run is reproducible), each loaded in its
 * child process under its own time and memory limits (a child loads up to `limits.perChild` inputs
 * in turn, and a fresh one follows any crash, hang or over-allocation).
 */
export async function fuzz(options: FuzzOptions): Promise<FuzzResult[]> {
  const tasks: { format: FuzzFormat; index: number }[] = [];
  for (let i = 0; i < options.perFormat; i++) for (const format of options.formats) tasks.push({ format, index: i });
  if (options.only !== undefined) tasks.splice(0, tasks.length, ...options.only);
  const results: FuzzResult[] = [];
  const limits = options.limits ?? DEFAULT_LIMITS;
  const worker = async (slot: number): Promise<void> => {
    const runner = new ChildRunner(limits);
    try {
      await work(slot, runner);
    } finally {
      runner.close();
    }
  };
  const work = async (slot: number, runner: ChildRunner): Promise<void> => {
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
        if (options.keepDir !== undefined)
          await cp(dir, join(options.keepDir, `${format}-${index}`), { recursive: true });
        const r = await runner.run({
          action: seed.action,
          path: join(mutant.dir, mutant.target),
          architecture: mutant.architecture === undefined ? undefined : join(mutant.dir, mutant.architecture),
          bytes: mutant.bytes,
        });
        result = { format, index, what: mutant.what, ...r };
      } catch (error) {
        result = {
          format,
          index,
          outcome: "harness-error",
          what: `${seed.name}: the mutator failed`,
          detail: String(error).slice(0, 300),
          grew: 0,
          tensorsLeft: 0,
        };
      }
      results.push(result);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: options.jobs ?? 2 }, (_, i) => worker(i)));
  return results;
}
