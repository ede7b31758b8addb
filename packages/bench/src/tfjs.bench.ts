// `kerastore convert model.h5 web_model --to tfjs` against reading the same file raw
// (fs.readFile), the baseline issue 18 sets (target: conversion <= 2x the raw read), on the
// largest real-world tf.keras 2 .h5 tfjs-layers can represent and on large synthetic ones.
// The conversion is the CLI's file-to-file path (the .h5 read lazily, the weights streamed
// into the shards, one durable commit of the new directory: every file flushed, then one
// rename); each round times the raw read and the conversion back to back, and the ratio is the
// median of the rounds' ratios (other jobs load this machine: a ratio within a round is what counts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, fsyncSync, closeSync, rmSync, statSync } from "node:fs";
import { open, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { NodeStore } from "@kerastore/core/node";
import { realworld } from "@kerastore/fixtures";
import { legacyH5Chunks } from "@kerastore/h5";
import { kerastoreFormats } from "@kerastore/tfjs-layers-format";
import { builtinFormats, createFormatRegistry, loadModel, saveModel } from "kerastore";
import { scratchDir, writeBenchSection } from "./report.js";
import { denseSequentialTree } from "./tfjs-model.js";

const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const quiet = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };

/**
 * What `kerastore convert src dst --to tfjs [--no-sync]` does in process: detect, read lazily
 * (a small .h5 whole, at once), convertFrom. (The CLI also shares one read of a small file
 * between the sniff and the read: slightly less than this.)
 */
async function convert(source: string, target: string, sync: boolean): Promise<void> {
  const from = { store: new NodeStore(dirname(source)), path: basename(source) };
  const reader = await formats.detect(from);
  const read = () => reader.read(from, { safeMode: true, onWarning: () => {}, values: "lazy" });
  const writer = formats.writer("tfjs");
  const to = { store: new NodeStore(dirname(target)), path: basename(target) };
  const options = { ...quiet, ...(sync ? {} : { sync: false }) };
  if (writer.convertFrom === undefined || !(await writer.convertFrom(to, { reader, location: from, read }, options)))
    throw new Error(`bench: ${source} did not convert file to file`);
}

/** The second baseline: the .h5's bytes (already in memory) written to a new file and flushed. */
async function writeAndSync(bytes: Uint8Array, path: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.write(bytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  what: string;
  bytes: number;
  rounds: number;
  raw: number;
  writeSync: number;
  conv: number;
  ratio: number;
  noSync: number;
  noSyncRatio: number;
  /** convert / (readFile + write and fsync of the same bytes): against a durable copy's own cost. */
  copyRatio: number;
  /** The fastest round of each against the fastest read: the rounds least disturbed by other jobs. */
  bestRatio: number;
  bestNoSyncRatio: number;
}

/** Rounds of: raw read, durable conversion, conversion without flushes, write + fsync of the bytes. */
async function measure(what: string, source: string, out: string, rounds: number): Promise<Row> {
  const raws: number[] = [];
  const convs: number[] = [];
  const ratios: number[] = [];
  const noSyncs: number[] = [];
  const noSyncRatios: number[] = [];
  const writes: number[] = [];
  const copyRatios: number[] = [];
  const copy = join(dirname(out), "tfjs-bench-copy.bin");
  for (let i = 0; i < rounds; i++) {
    rmSync(out, { recursive: true, force: true });
    const raw = await time(() => readFile(source));
    const conv = await time(() => convert(source, out, true));
    rmSync(out, { recursive: true, force: true });
    const raw2 = await time(() => readFile(source));
    const noSync = await time(() => convert(source, out, false));
    rmSync(out, { recursive: true, force: true });
    const bytes = await readFile(source);
    rmSync(copy, { force: true });
    const write = await time(() => writeAndSync(bytes, copy));
    raws.push(raw, raw2);
    convs.push(conv);
    ratios.push(conv / raw);
    noSyncs.push(noSync);
    noSyncRatios.push(noSync / raw2);
    writes.push(write);
    copyRatios.push(conv / (raw + write));
  }
  rmSync(out, { recursive: true, force: true });
  rmSync(copy, { force: true });
  return {
    what,
    bytes: statSync(source).size,
    rounds,
    raw: median(raws),
    writeSync: median(writes),
    conv: median(convs),
    ratio: median(ratios),
    noSync: median(noSyncs),
    noSyncRatio: median(noSyncRatios),
    copyRatio: median(copyRatios),
    bestRatio: Math.min(...convs) / Math.min(...raws),
    bestNoSyncRatio: Math.min(...noSyncs) / Math.min(...raws),
  };
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

/** Synthetic sizes (Dense 1024x1024 layers, 4 MiB each) and rounds: where <= 2x starts to hold. */
const SYNTHETIC: readonly [layers: number, rounds: number][] = [
  [1, 21],
  [2, 21],
  [4, 15],
  [8, 11],
  [24, 7],
  [Number(process.env.TFJS_BENCH_LAYERS ?? 96), 5],
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
      await measure(`real-world ${real} (tf.keras 2.8 stacked LSTM)`, join(rw.dir, real), join(dir, "rw_web"), 31),
    );
  for (const [layers, rounds] of SYNTHETIC) {
    const file = join(dir, `tfjs-bench-${layers}.h5`);
    await syntheticH5(file, layers);
    const params = (layers * 1025 * 1024) / 1e6;
    const what = `synthetic: ${layers} Dense 1024x1024 (${params < 10 ? params.toFixed(1) : params.toFixed(0)}M parameters)`;
    rows.push(await measure(what, file, join(dir, `web${layers}`), rounds));
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
  const met = (x: number) => `**${x.toFixed(2)}x** (${x <= 2 ? "met" : "not met"})`;
  const holds = (pick: (r: Row) => number) => {
    const sizes = rows.filter((r) => pick(r) <= 2).map((r) => `${mib(r.bytes)}`);
    return sizes.length === 0 ? "none of these" : `${sizes.join(", ")} MiB`;
  };
  const ms = (x: number | undefined) => x?.toFixed(0) ?? "n/a (run pnpm build; the real-world files absent)";
  const load1 = loadavg()[0]!;
  const table = [
    "### .h5 to TensorFlow.js Layers (`kerastore convert m.h5 web_model --to tfjs`)",
    "",
    "Each round reads the .h5 raw (fs.readFile), converts it file to file into a new directory as the",
    "CLI does by default (a .h5 up to 4 MiB read at once, a larger one lazily by range; the weights",
    "streamed into 4 MiB shards, each file flushed while the next is written, then the staging directory,",
    "one rename, the parent flushed), reads it raw again and converts it with `--no-sync` (no flush: what",
    "`tensorflowjs_converter` does), then writes the .h5's bytes to a new file and fsyncs it (the second",
    "baseline: the disk's cost of making that many bytes durable). Ratios are the medians of the rounds' ratios;",
    "in parentheses, the fastest conversion against the fastest read (the rounds other jobs disturbed least).",
    "",
    "| input | .h5 MiB | rounds | fs.readFile ms | write + fsync of its bytes ms | convert ms | convert / readFile (target <= 2x) | convert --no-sync ms | --no-sync / readFile | convert / (readFile + write + fsync) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.what} | ${mib(r.bytes)} | ${r.rounds} | ${r.raw.toFixed(1)} | ${r.writeSync.toFixed(1)} | ${r.conv.toFixed(1)} | ${met(r.ratio)} (${r.bestRatio.toFixed(2)}x) | ${r.noSync.toFixed(1)} | ${met(r.noSyncRatio)} (${r.bestNoSyncRatio.toFixed(2)}x) | ${r.copyRatio.toFixed(2)}x |`,
    ),
    "",
    `<= 2x the raw read holds at: ${holds((r) => r.ratio)} (durable, the default); ${holds((r) => r.noSyncRatio)} with --no-sync.`,
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
