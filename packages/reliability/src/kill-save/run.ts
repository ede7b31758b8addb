// SIGKILL-during-save trials: `pnpm kill-trials [--per-format 100] [--seed 16] [--formats h5,keras,...] [--jobs 2] [--write]`.
// Prints a table; with --write, puts it into docs/reliability.md.
import { flags, table, writeSection } from "../report.js";
import { KILL_FORMATS, type KillFormat } from "./trial-model.js";
import { type KillTrialTally, runKillTrials } from "./kill-trials.js";

const f = flags(process.argv.slice(2));
const perFormat = Number(f.get("per-format") ?? 100);
const seed = Number(f.get("seed") ?? 16);
const formats = (f.get("formats")?.split(",") ?? [...KILL_FORMATS]) as KillFormat[];
const started = Date.now();
const sofar = new Map<KillFormat, Readonly<KillTrialTally>>();

function report(tallies: readonly Readonly<KillTrialTally>[], finished: boolean): string {
  const seconds = Math.round((Date.now() - started) / 1000);
  const state = finished ? "" : " Still running: the table shows the trials so far (leftovers are counted at the end).";
  return [
    `Command: \`pnpm kill-trials --per-format ${perFormat} --seed ${seed}${f.has("formats") ? ` --formats ${formats.join(",")}` : ""}\` (${seconds} s, ${new Date().toISOString().slice(0, 10)}).${state}`,
    "",
    table(
      [
        "format",
        "trials",
        "killed inside a save",
        "old model",
        "new model",
        "mix",
        "unloadable",
        "temp files left after the next save",
      ],
      tallies.map((t) => [
        t.format,
        t.trials,
        t.midSave,
        t.old,
        t.new,
        t.mix,
        t.unloadable,
        finished ? t.leftovers : "-",
      ]),
    ),
  ].join("\n");
}

const tallies = await runKillTrials({
  formats,
  perFormat,
  seed,
  concurrency: Number(f.get("jobs") ?? 2),
  onTrial: (format, i, outcome, tally) => {
    sofar.set(format, tally);
    if (outcome !== "old" && outcome !== "new") console.log(`${format} trial ${i}: ${outcome}`);
    else if ((i + 1) % 10 === 0) console.log(`${format}: ${i + 1}/${perFormat}`);
    if (f.has("write") && (i + 1) % 5 === 0) void writeSection("kill-trials", report([...sofar.values()], false));
  },
});
const body = report(tallies, true);
console.log(body);
for (const t of tallies) for (const failure of t.failures) console.log(`${t.format}: ${failure}`);
if (f.has("write")) await writeSection("kill-trials", body);
const bad = tallies.some((t) => t.mix > 0 || t.unloadable > 0 || t.leftovers > 0);
process.exitCode = bad ? 1 : 0;
