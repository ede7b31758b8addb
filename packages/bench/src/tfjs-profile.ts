// Where the time of a small `kerastore convert m.h5 web_model --to tfjs` goes, phase by phase:
// each round runs the conversion's steps one after another (as the Node directory writer does,
// but serialized and timed one by one), then the baselines: fs.readFile of the .h5, and a raw
// write + fsync of the same bytes. Prints the median of each phase over the rounds.
//
//   pnpm --filter @kerastore/bench exec tsx --conditions=source src/tfjs-profile.ts [file.h5] [rounds]
import { constants, promises as fs } from "node:fs";
import { loadavg } from "node:os";
import { basename, dirname, join } from "node:path";
import { utf8Encode } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { realworld } from "@kerastore/fixtures";
import { kerastoreFormats, tfjsArtifacts, writeSettings } from "@kerastore/tfjs-layers-format";
import { builtinFormats, createFormatRegistry } from "kerastore";
import { scratchDir } from "./report.js";

const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const rw = realworld();
const source =
  (process.argv[2] || undefined) ??
  join(rw.dir ?? ".", "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5");
const rounds = Number(process.argv[3] ?? 25);
const dir = scratchDir();
await fs.mkdir(dir, { recursive: true });

const times = new Map<string, number[]>();
let t = 0;
const start = (): void => {
  t = performance.now();
};
const lap = (phase: string): void => {
  const now = performance.now();
  const list = times.get(phase) ?? [];
  list.push(now - t);
  times.set(phase, list);
  t = now;
};

async function syncPath(path: string): Promise<void> {
  const handle = await fs.open(path, constants.O_RDONLY);
  await handle.sync();
  await handle.close();
}

for (let r = 0; r < rounds; r++) {
  const final = join(dir, "profile_web");
  const stage = join(dir, ".profile_web.stage");
  await fs.rm(final, { recursive: true, force: true });
  await fs.rm(stage, { recursive: true, force: true });
  start();
  await fs.readFile(source);
  lap("baseline: fs.readFile(.h5)");

  const from = { store: new NodeStore(dirname(source)), path: basename(source) };
  const reader = await formats.detect(from);
  lap("1 detect the format (sniff)");
  const read = await reader.read(from, { safeMode: true, onWarning: () => {}, values: "lazy" });
  lap("2 open + read + parse the .h5 (lazy read: whole when small)");
  const artifacts = tfjsArtifacts(read.data, writeSettings({}, "profile_web"), "profile_web");
  lap("3 topology + manifest plan (tfjsArtifacts)");
  await fs.stat(final).catch(() => undefined);
  await fs.mkdir(dir, { recursive: true });
  await fs.readdir(dir);
  lap("4 exists check, mkdir -p parent, leftovers scan");
  await fs.mkdir(stage);
  lap("5 mkdir staging directory");
  const handles: fs.FileHandle[] = [];
  for (const shard of artifacts.shards) {
    const chunks: Uint8Array[] = [];
    for await (const c of shard.chunks) chunks.push(c);
    lap("6 the weights' bytes (views; loads where lazy)");
    const h = await fs.open(join(stage, shard.name), "wx");
    lap("7 open shard");
    for (const c of chunks) await h.write(c);
    lap("8 write shard (a write per chunk)");
    handles.push(h);
  }
  const json = utf8Encode(JSON.stringify(artifacts.modelJson()));
  lap("9 model.json: JSON.stringify + encode");
  const hj = await fs.open(join(stage, "model.json"), "wx");
  await hj.write(json);
  lap("10 open + write model.json");
  handles.push(hj);
  // As the writer: the files' flushes at once (two in flight), then the staging directory's.
  await Promise.all(handles.map((h) => h.datasync()));
  lap("11 fdatasync the shard and model.json, at once");
  await syncPath(stage);
  lap("12 fsync the staging directory");
  for (const h of handles) await h.close();
  lap("13 close files");
  await fs.rename(stage, final);
  lap("14 rename");
  await syncPath(dir);
  lap("15 fsync parent directory");

  // Baseline 2: the same bytes written raw and flushed (one file).
  const bytes = await fs.readFile(source);
  start();
  const hr = await fs.open(join(dir, "profile_raw.bin"), "w");
  await hr.write(bytes);
  lap("baseline: raw write (open + write)");
  await hr.datasync();
  lap("baseline: its fdatasync");
  await hr.close();
  await fs.rm(join(dir, "profile_raw.bin"));
  // Concurrency: two files' flushes at once, and a directory flush beside them.
  const a = await fs.open(join(dir, "profile_a.bin"), "w");
  const b = await fs.open(join(dir, "profile_b.bin"), "w");
  await a.write(bytes);
  await b.write(json);
  start();
  const dh = await fs.open(dir, constants.O_RDONLY);
  await Promise.all([a.datasync(), b.datasync(), dh.sync()]);
  lap("concurrent: 2 files + 1 directory flushed at once");
  await Promise.all([a.close(), b.close(), dh.close()]);
  await fs.rm(join(dir, "profile_a.bin"));
  await fs.rm(join(dir, "profile_b.bin"));
}
await fs.rm(join(dir, "profile_web"), { recursive: true, force: true });

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(`${basename(source)}, ${rounds} rounds, load average ${loadavg()[0]!.toFixed(1)}`);
console.log("| phase | median ms | min ms |\n| --- | ---: | ---: |");
let sum = 0;
for (const [phase, list] of times) {
  if (/^\d/.test(phase)) sum += median(list);
  console.log(`| ${phase} | ${median(list).toFixed(2)} | ${Math.min(...list).toFixed(2)} |`);
}
console.log(`| sum of the conversion's phases | ${sum.toFixed(2)} | |`);
