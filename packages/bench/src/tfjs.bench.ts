// `kerastore convert model.h5 web_model --to tfjs` against reading the same file raw
// (fs.readFile), the baseline issue 18 sets (target: conversion <= 2x the raw read), on the
// largest real-world tf.keras 2 .h5 tfjs-layers can represent and on synthetic ones of 4 to 96 MiB
// (384 MiB with TFJS_BENCH_LAYERS=96). The conversion is the CLI's own function (convertFile:
// the small-file read, the format's detection, the lazy read, convertFrom), durable by default and
// with --no-sync. Beside the ratio, each round measures the floor: the same raw read plus a raw
// write of the conversion's output bytes to one new file, without and with fdatasync: no
// conversion can cost less than reading its input and writing its output. Other jobs load this
// machine: each ratio is taken within a round, and the median of the rounds' ratios is printed.
import { execFileSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { realworld } from "@kerastore/fixtures";
import { legacyH5Chunks } from "@kerastore/h5";
import { kerastoreFormats } from "@kerastore/tfjs-layers-format";
import { builtinFormats, createFormatRegistry, loadModel, saveModel } from "kerastore";
import { convertFile } from "./cli-convert.js";
import { scratchDir, writeBenchSection } from "./report.js";
import { denseSequentialTree } from "./tfjs-model.js";

const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);

const convert = (source: string, target: string, sync: boolean): Promise<void> =>
  convertFile(source, target, "tfjs", formats, { settings: sync ? {} : { sync: false } });

/**
 * The floor's write: `bytes` to a new file by the cheapest calls (synchronous open, write and
 * close: no thread-pool hop), flushed (fdatasync) or not.
 */
async function writeRaw(bytes: Uint8Array, path: string, sync: boolean): Promise<void> {
  const fd = openSync(path, "w");
  try {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    if (sync) fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One mode's medians: the conversion, and the floor (raw read + raw write of the output). */
interface Mode {
  conv: number;
  /** convert / readFile, median of the rounds. */
  ratio: number;
  /** (readFile + write of the output bytes) / readFile: the least any conversion can be. */
  floorRatio: number;
  /** convert / (readFile + write of the output bytes). */
  overFloor: number;
  /** The fastest conversion against the fastest read (the rounds other jobs disturbed least). */
  best: number;
}

export interface Row {
  what: string;
  bytes: number;
  outBytes: number;
  rounds: number;
  raw: number;
  durable: Mode;
  noSync: Mode;
}

/** Every file the conversion wrote, back to back. */
function outputBytes(dir: string): Uint8Array {
  const parts = readdirSync(dir).map((n) => readFileSync(join(dir, n)));
  return Buffer.concat(parts);
}

/** Untimed rounds before the timed ones, per input. */
const WARM_UP_ROUNDS = 5;

/** Rounds of: raw read, conversion, raw write of its output (the floor), durable and --no-sync. */
export async function measure(what: string, source: string, out: string, rounds: number): Promise<Row> {
  const copy = join(dirname(out), "tfjs-bench-copy.bin");
  rmSync(out, { recursive: true, force: true });
  await convert(source, out, false);
  const output = outputBytes(out);
  // Untimed rounds first: the process is new (see measureApart), and its first rounds would time
  // the compiler warming up, which the conversion's code (the parse, the plan) needs far more
  // than fs.readFile.
  for (let i = 0; i < WARM_UP_ROUNDS; i++) {
    for (const sync of [true, false]) {
      rmSync(out, { recursive: true, force: true });
      await readFile(source);
      await convert(source, out, sync);
    }
  }
  const raws: number[] = [];
  const runs = { durable: [] as number[][], noSync: [] as number[][] };
  for (let i = 0; i < rounds; i++) {
    for (const mode of ["durable", "noSync"] as const) {
      const sync = mode === "durable";
      rmSync(out, { recursive: true, force: true });
      rmSync(copy, { force: true });
      const raw = await time(() => readFile(source));
      const conv = await time(() => convert(source, out, sync));
      const write = await time(() => writeRaw(output, copy, sync));
      raws.push(raw);
      runs[mode].push([raw, conv, write]);
      if (process.env.TFJS_BENCH_TRACE) console.log(mode, raw.toFixed(2), conv.toFixed(2), write.toFixed(2));
    }
  }
  rmSync(out, { recursive: true, force: true });
  rmSync(copy, { force: true });
  const summary = (list: number[][]): Mode => ({
    conv: median(list.map((r) => r[1]!)),
    ratio: median(list.map(([raw, conv]) => conv! / raw!)),
    floorRatio: median(list.map(([raw, , write]) => (raw! + write!) / raw!)),
    overFloor: median(list.map(([raw, conv, write]) => conv! / (raw! + write!))),
    best: Math.min(...list.map((r) => r[1]!)) / Math.min(...list.map((r) => r[0]!)),
  });
  return {
    what,
    bytes: statSync(source).size,
    outBytes: output.byteLength,
    rounds,
    raw: median(raws),
    durable: summary(runs.durable),
    noSync: summary(runs.noSync),
  };
}

/**
 * {@link measure} in a process of its own (src/tfjs-measure-one.ts), as the CLI converts one file
 * per process: what earlier inputs' rounds leave in a process (its heap, its allocator's state)
 * does not land in this input's timings, its raw reads' as much as its conversions'. Measured in
 * one process after the 2.7 MiB file's 122 rounds, the 16 MiB file's --no-sync conversion took
 * 16.8 ms against an 11.9 ms readFile; first in a process, 10.6 ms against 5.7-6.2 ms (load 4).
 */
function measureApart(what: string, source: string, out: string, rounds: number): Row {
  const script = join(dirname(fileURLToPath(import.meta.url)), "tfjs-measure-one.ts");
  const text = execFileSync(process.execPath, [...process.execArgv, script, what, source, out, String(rounds)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 2 ** 20,
  });
  const lines = text.trimEnd().split("\n");
  for (const line of lines.slice(0, -1)) console.log(line);
  return JSON.parse(lines.at(-1)!) as Row;
}

/** The `kerastore` command as a user runs it (built dist), wall time of the whole process. */
function cliMs(args: string[]): number | undefined {
  const main = resolve(dirname(fileURLToPath(import.meta.url)), "../../kerastore/dist/cli/main.js");
  if (!existsSync(main)) return undefined;
  const t0 = performance.now();
  execFileSync(process.execPath, [main, ...args, "--plugin", "@kerastore/tfjs-layers-format"], {
    cwd: resolve(dirname(fileURLToPath(import.meta.url)), ".."),
    stdio: "ignore",
  });
  return performance.now() - t0;
}

/** Writes a synthetic tf.keras 2 .h5 and flushes it, so its write-back does not land in the timings. */
async function syntheticH5(path: string, layers: number): Promise<void> {
  await writeFile(path, legacyH5Chunks(denseSequentialTree(layers, 1024)));
  const fd = openSync(path, "r");
  fsyncSync(fd);
  closeSync(fd);
}

/**
 * Synthetic sizes (Dense 1024x1024 layers, 4 MiB each) and rounds: 4 MiB (just above the
 * whole-read size), 16, 32 and 96 MiB; TFJS_BENCH_LAYERS=96 adds 384 MiB.
 */
const SYNTHETIC: readonly [layers: number, rounds: number][] = [
  [1, 21],
  [4, 15],
  [8, 11],
  [24, 7],
  ...(process.env.TFJS_BENCH_LAYERS === undefined
    ? []
    : [[Number(process.env.TFJS_BENCH_LAYERS), 5] as [number, number]]),
];

export async function run(): Promise<void> {
  const dir = scratchDir();
  mkdirSync(dir, { recursive: true });
  const load0 = loadavg()[0]!;
  const rows: Row[] = [];
  const rw = realworld();
  const real = "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5";
  if (rw.dir !== undefined)
    rows.push(
      measureApart(`real-world ${real} (tf.keras 2.8 stacked LSTM)`, join(rw.dir, real), join(dir, "rw_web"), 61),
    );
  // TFJS_BENCH_QUICK=1: the real-world file, and the synthetic sizes TFJS_BENCH_QUICK_LAYERS lists
  // ("1,4"), printed; docs/benchmarks.md left alone.
  if (process.env.TFJS_BENCH_QUICK === "1") {
    for (const layers of (process.env.TFJS_BENCH_QUICK_LAYERS ?? "").split(",").filter(Boolean).map(Number)) {
      const file = join(dir, `tfjs-bench-${layers}.h5`);
      await syntheticH5(file, layers);
      rows.push(measureApart(`synthetic ${layers}`, file, join(dir, `web${layers}`), 15));
      rmSync(file, { force: true });
    }
    for (const r of rows)
      console.log(
        `${r.what.slice(0, 20)} raw ${r.raw.toFixed(2)} | durable ${r.durable.conv.toFixed(2)} ms ${r.durable.ratio.toFixed(2)}x floor ${r.durable.floorRatio.toFixed(2)}x best ${r.durable.best.toFixed(2)}x | no-sync ${r.noSync.conv.toFixed(2)} ms ${r.noSync.ratio.toFixed(2)}x floor ${r.noSync.floorRatio.toFixed(2)}x best ${r.noSync.best.toFixed(2)}x`,
      );
    console.log(`load ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
    return;
  }
  for (const [layers, rounds] of SYNTHETIC) {
    const file = join(dir, `tfjs-bench-${layers}.h5`);
    await syntheticH5(file, layers);
    const params = (layers * 1025 * 1024) / 1e6;
    const what = `synthetic: ${layers} Dense 1024x1024 (${params < 10 ? params.toFixed(1) : params.toFixed(0)}M parameters)`;
    rows.push(measureApart(what, file, join(dir, `web${layers}`), rounds));
    if (layers !== 24) rmSync(file, { force: true });
  }
  const small = join(dir, "tfjs-bench-24.h5");

  // The command as a user runs it: a new process (its start-up is a fixed cost per file), and
  // the old road (loadModel builds the live model on the WASM backend, then saveModel) once.
  const cliStart = cliMs(["help", "convert"]);
  const cliSmall = cliMs(["convert", small, join(dir, "cli96"), "--to", "tfjs"]);
  rmSync(join(dir, "cli96"), { recursive: true, force: true });
  const realPath = rw.dir === undefined ? undefined : join(rw.dir, real);
  const cliReal = realPath === undefined ? undefined : cliMs(["convert", realPath, join(dir, "clirw"), "--to", "tfjs"]);
  rmSync(join(dir, "clirw"), { recursive: true, force: true });
  const cliInspect = realPath === undefined ? undefined : cliMs(["inspect", realPath]);
  const viaModel = await time(async () => {
    const model = await loadModel(small, { formats });
    await saveModel(model, join(dir, "live96"), { format: "tfjs", formats });
    model.dispose();
  });
  const rawSmall = await time(() => readFile(small));
  rmSync(join(dir, "live96"), { recursive: true, force: true });
  rmSync(small, { force: true });

  const mib = (n: number) => (n / 2 ** 20).toFixed(n < 2 ** 24 ? 1 : 0);
  const x = (v: number) => `${v.toFixed(2)}x`;
  const met = (v: number) => `**${x(v)}** (${v <= 2 ? "met" : "not met"})`;
  const holds = (pick: (r: Row) => number) => {
    const sizes = rows.filter((r) => pick(r) <= 2).map((r) => `${mib(r.bytes)}`);
    return sizes.length === 0 ? "none of these" : `${sizes.join(", ")} MiB`;
  };
  const impossible = rows
    .filter((r) => r.durable.floorRatio > 2)
    .map((r) => `${mib(r.bytes)} MiB (floor ${x(r.durable.floorRatio)})`);
  const ms = (v: number | undefined) => v?.toFixed(0) ?? "n/a (run pnpm build; the real-world files absent)";
  const load1 = loadavg()[0]!;
  const line = (r: Row, mode: "durable" | "--no-sync", m: Mode) =>
    `| ${r.what} | ${mib(r.bytes)} | ${mib(r.outBytes)} | ${r.rounds} | ${r.raw.toFixed(2)} | ${mode} | ${m.conv.toFixed(2)} | ${met(m.ratio)} (${x(m.best)}) | ${x(m.floorRatio)} | ${x(m.overFloor)} |`;
  const table = [
    "### .h5 to TensorFlow.js Layers (`kerastore convert m.h5 web_model --to tfjs`)",
    "",
    "Each input is measured in a Node process of its own (the CLI converts one file per process; rounds of earlier inputs",
    "left in one process slowed later ones, reads and conversions alike), after 5 untimed rounds (the compiler's warm-up).",
    "Each round reads the .h5 raw (fs.readFile), converts it with the CLI's own function (`convertFile`, in",
    "process: the .h5, of any size, held open and read block by block as the parse asks; the weights copied from it",
    "through one reused 1 MiB buffer into 4 MiB shards",
    "in a staging directory, one rename), then writes the conversion's output bytes raw to one new file: the",
    "floor, as no conversion can cost less than reading its input and writing its output. Durable (the",
    "default): every file and both directories flushed, and the floor's write flushed (fdatasync). `--no-sync`",
    "(what `tensorflowjs_converter` does): no flush, in the conversion and in the floor. Ratios are medians of",
    "the rounds' ratios; in parentheses, the fastest conversion against the fastest read.",
    "",
    "| input | .h5 MiB | output MiB | rounds | fs.readFile ms | mode | convert ms | convert / readFile (target <= 2x) | floor / readFile | convert / floor |",
    "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ...rows.flatMap((r) => [line(r, "durable", r.durable), line(r, "--no-sync", r.noSync)]),
    "",
    `<= 2x the raw read holds at: ${holds((r) => r.durable.ratio)} (durable, the default); ${holds((r) => r.noSync.ratio)} with --no-sync.`,
    impossible.length === 0
      ? ""
      : `Durable <= 2x is out of reach where the floor itself (a raw read and one flushed write of the output) exceeds 2x: ${impossible.join(", ")}.`,
    "",
    "The command as a process (fixed costs: Node start-up and module loading):",
    "",
    "| step | ms |",
    "| --- | ---: |",
    `| \`kerastore help convert\` (start-up, plug-in loaded, nothing read) | ${ms(cliStart)} |`,
    `| \`kerastore inspect ${real}\` | ${ms(cliInspect)} |`,
    `| \`kerastore convert ${real} web --to tfjs\` | ${ms(cliReal)} |`,
    `| \`kerastore convert tfjs-bench-24.h5 web --to tfjs\` (96 MiB) | ${ms(cliSmall)} |`,
    `| the live-model road (sources convertFrom declines): loadModel builds the model on WASM, then saveModel, in process, 96 MiB | ${viaModel.toFixed(0)} (${(viaModel / rawSmall).toFixed(1)}x a readFile of ${rawSmall.toFixed(0)} ms) |`,
    "",
    `Load average when measured: ${load0.toFixed(1)} at the start, ${load1.toFixed(1)} at the end (2 cores shared by several jobs).`,
  ].join("\n");
  console.log(table);
  writeBenchSection("tfjs", table);
}
