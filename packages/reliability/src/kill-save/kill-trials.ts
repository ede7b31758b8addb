import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { keras } from "kerastore";
import { childArgs } from "../build-freshness.js";
import { seededRandom } from "../seeded-random.js";
import { type KillFormat, loadAndPredict, saveAs, targetOf, trialInput, trialModel } from "./trial-model.js";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../../..", import.meta.url));

/** What one format's trials found. */
export interface KillTrialTally {
  readonly format: KillFormat;
  readonly trials: number;
  /** Loaded and predicted as the model saved before the kill's save began. */
  old: number;
  /** Loaded and predicted as the model the killed save was writing. */
  new: number;
  /** Loaded but predicted neither: a mix of old and new files. */
  mix: number;
  /** Did not load. */
  unloadable: number;
  /** Trials whose kill left temporary, staged or commit files: it landed inside a save. */
  midSave: number;
  /** Temporary files left after one more save, which cleans leftovers of killed saves. */
  leftovers: number;
  /** The first few failures, for the report. */
  readonly failures: string[];
}

/** Options of {@link runKillTrials}. */
export interface KillTrialOptions {
  readonly formats: readonly KillFormat[];
  readonly perFormat: number;
  readonly seed: number;
  /** The longest wait between the child's first save starting and the kill. Default 600 ms. */
  readonly maxDelayMs?: number | undefined;
  /** Formats run at once (each in its own directory). Default 2. */
  readonly concurrency?: number | undefined;
  /** Told after each trial, with the format's tally so far. */
  readonly onTrial?:
    | ((format: KillFormat, index: number, outcome: string, tally: Readonly<KillTrialTally>) => void)
    | undefined;
}

function same(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= 1e-6 * Math.max(1, Math.abs(b[i]!)));
}

/** Starts the child saving over `path` and kills it (SIGKILL) `delay` ms after it is ready. */
function killDuringSaves(format: KillFormat, path: string, delay: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, childArgs(CHILD, [format, path]), {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let killed = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr += String(d);
    });
    child.stdout.on("data", (d: Buffer) => {
      if (!killed && String(d).includes("ready")) {
        killed = true;
        setTimeout(() => child.kill("SIGKILL"), delay);
      }
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve();
      else reject(new Error(`the saving child exited by itself (${code ?? signal}): ${stderr.slice(-500)}`));
    });
  });
}

async function countLeftovers(dir: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (/\.(tmp|kerastore-stage)-\d+-[0-9a-f]+$|\.kerastore-commit$/.test(entry.name)) n++;
  }
  return n;
}

async function trialsOf(
  format: KillFormat,
  options: KillTrialOptions,
  expected: readonly Float32Array[],
): Promise<KillTrialTally> {
  const random = seededRandom(options.seed ^ (format.length * 7919));
  const dir = await mkdtemp(join(tmpdir(), `kerastore-kill-${format}-`));
  const path = join(dir, targetOf(format));
  const tally: KillTrialTally = {
    format,
    trials: options.perFormat,
    old: 0,
    new: 0,
    mix: 0,
    unloadable: 0,
    midSave: 0,
    leftovers: 0,
    failures: [],
  };
  try {
    const first = trialModel(0);
    await saveAs(first, format, path);
    first.dispose();
    // Which variant the target held before each trial: the child saves 1, 0, 1, 0, ...
    let before: Float32Array | undefined = expected[0];
    for (let i = 0; i < options.perFormat; i++) {
      await killDuringSaves(format, path, Math.floor(random() * (options.maxDelayMs ?? 600)));
      if ((await countLeftovers(dir)) > 0) tally.midSave++;
      let outcome: string;
      try {
        const got = await loadAndPredict(format, path);
        if (same(got, expected[0]!) || same(got, expected[1]!)) {
          const unchanged = before !== undefined && same(got, before);
          outcome = unchanged ? "old" : "new";
          if (unchanged) tally.old++;
          else tally.new++;
          before = got;
        } else {
          outcome = "mix";
          tally.mix++;
          if (tally.failures.length < 5) tally.failures.push(`trial ${i}: predictions match neither model`);
        }
      } catch (error) {
        outcome = "unloadable";
        tally.unloadable++;
        if (tally.failures.length < 5) tally.failures.push(`trial ${i}: ${(error as Error).message.slice(0, 300)}`);
      }
      options.onTrial?.(format, i, outcome, { ...tally, trials: i + 1 });
    }
    const last = trialModel(0);
    await saveAs(last, format, path);
    last.dispose();
    tally.leftovers = await countLeftovers(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return tally;
}

/**
 * SIGKILL during saves: for each format, a child saves two models over one target, alternately,
 * and is killed at a random moment; the target must then load as one of the two models, never a
 * mix, and never fail to load. One more save afterwards must leave no temporary files.
 */
export async function runKillTrials(options: KillTrialOptions): Promise<KillTrialTally[]> {
  await keras.ready();
  const expected = [0, 1].map((v) => {
    const model = trialModel(v);
    try {
      return Float32Array.from((model.predict(trialInput()) as { data: Float32Array }).data);
    } finally {
      model.dispose();
    }
  });
  const queue = [...options.formats];
  const out: KillTrialTally[] = [];
  const worker = async (): Promise<void> => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) out.push(await trialsOf(f, options, expected));
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  return options.formats.map((f) => out.find((t) => t.format === f)!);
}
