// The fuzz harness: `pnpm fuzz [--per-format 20] [--seed 16] [--formats h5,keras,...] [--jobs 2] [--per-child 100] [--minutes M] [--write]
//   [--only h5#1059,json#7 --keep DIR]`.
// --per-child is how many inputs one child process loads in turn (1: a process per input).
// --only re-makes and loads the named inputs alone (from the same --seed); --keep copies each
// input's files into DIR to look at.
// --minutes stops starting inputs after M minutes (inputs go round-robin over the formats, so
// every format gets as many); with --write the table is rewritten every 100 inputs.
// Prints a table of outcomes per format (and every bad one); with --write, puts it into
// docs/reliability.md. Exits 1 when any input gave a generic error, a crash, a hang or an
// over-allocation.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keras } from "kerastore";
import { flags, table, writeSection } from "../report.js";
import { DEFAULT_LIMITS, type FuzzResult, fuzz, OUTCOMES } from "./harness.js";
import { FUZZ_FORMATS, type FuzzFormat, writeSeeds } from "./seeds.js";

const f = flags(process.argv.slice(2));
const perFormat = Number(f.get("per-format") ?? 20);
const seed = Number(f.get("seed") ?? 16);
const jobs = Number(f.get("jobs") ?? 2);
const perChild = Number(f.get("per-child") ?? DEFAULT_LIMITS.perChild);
const formats = (f.get("formats")?.split(",") ?? [...FUZZ_FORMATS]) as FuzzFormat[];
const started = Date.now();
const minutes = f.has("minutes") ? Number(f.get("minutes")) : undefined;
await keras.ready();
const work = await mkdtemp(join(tmpdir(), "kerastore-fuzz-"));
const BAD = new Set(["generic", "crash", "hang", "over-allocation", "harness-error"]);
let done = 0;
const sofar: FuzzResult[] = [];
let results: FuzzResult[];
try {
  const seeds = await writeSeeds(join(work, "seeds"));
  results = await fuzz({
    seeds,
    formats,
    perFormat,
    seed,
    jobs,
    limits: { ...DEFAULT_LIMITS, perChild },
    workDir: join(work, "mutants"),
    only: f
      .get("only")
      ?.split(",")
      .map((s) => {
        const [format, index] = s.split("#");
        return { format: format as FuzzFormat, index: Number(index) };
      }),
    keepDir: f.get("keep"),
    stopAt: minutes === undefined ? undefined : started + minutes * 60_000,
    onResult: (r) => {
      done++;
      sofar.push(r);
      if (f.has("write") && done % 100 === 0) void writeSection("fuzz", report(sofar, false));
      if (r.tensorsLeft !== 0)
        console.log(`${r.format}#${r.index} left ${r.tensorsLeft} tensors: ${r.what.slice(0, 200)}`);
      if (BAD.has(r.outcome))
        console.log(`${r.outcome} ${r.format}#${r.index}: ${r.what.slice(0, 200)} -> ${r.detail.slice(0, 300)}`);
      if (done % 50 === 0)
        console.log(`${done}/${perFormat * formats.length} (${Math.round((Date.now() - started) / 1000)} s)`);
    },
  });
} finally {
  await rm(work, { recursive: true, force: true });
}
function report(results: readonly FuzzResult[], finished: boolean): string {
  const seconds = Math.round((Date.now() - started) / 1000);
  const rows = formats.map((format) => {
    const mine = results.filter((r) => r.format === format);
    return [
      format,
      mine.length,
      ...OUTCOMES.map((o) => mine.filter((r) => r.outcome === o).length),
      `${Math.round(Math.max(0, ...mine.map((r) => r.grew)) / 2 ** 20)} MB`,
      mine.filter((r) => r.tensorsLeft !== 0).length,
    ];
  });
  const total = [
    "all",
    results.length,
    ...OUTCOMES.map((o) => results.filter((r) => r.outcome === o).length),
    "",
    results.filter((r) => r.tensorsLeft !== 0).length,
  ];
  const asked = perFormat * formats.length;
  const state =
    results.length < asked
      ? ` ${finished ? "Stopped at the time limit" : "Still running"} after ${results.length} of the ${asked} inputs asked.`
      : "";
  return [
    `Command: \`pnpm fuzz --per-format ${perFormat} --seed ${seed}${perChild === DEFAULT_LIMITS.perChild ? "" : ` --per-child ${perChild}`}${minutes === undefined ? "" : ` --minutes ${minutes}`}\` (${seconds} s with ${jobs} jobs, up to ${perChild} inputs per child process, ${new Date().toISOString().slice(0, 10)}).${state}`,
    "",
    table(
      [
        "format",
        "inputs",
        ...OUTCOMES.map((o) =>
          o === "ok" ? "loaded" : o === "typed" ? "typed error" : o === "generic" ? "generic error" : o,
        ),
        "largest RSS growth",
        "inputs leaving tensors",
      ],
      [...rows, total],
    ),
  ].join("\n");
}
const body = report(results, true);
console.log(body);
if (f.has("write")) await writeSection("fuzz", body);
process.exitCode = results.some((r) => BAD.has(r.outcome)) ? 1 : 0;
