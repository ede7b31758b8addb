// Where the time of a small `kerastore convert m.h5 web_model --to tfjs` goes, piece by piece,
// in microseconds: each piece runs on its own many times (the CPU pieces on the bytes already in
// memory, the file pieces on the disk), and the median and the fastest run are printed, beside
// the raw read (fs.readFile) the conversion is compared with. Other jobs share this machine:
// many repetitions, and the load average, say how much to trust a number.
//
//   pnpm --filter @kerastore/bench exec tsx --conditions=source src/tfjs-profile.ts [file.h5] [reps]
import { promises as fs, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type SavedModelData, utf8Encode } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { realworld } from "@kerastore/fixtures";
import { readKerasH5 } from "@kerastore/h5";
import { kerastoreFormats, tfjsArtifacts, writeNewTfjsDirectory, writeSettings } from "@kerastore/tfjs-layers-format";
import { builtinFormats, createFormatRegistry } from "kerastore";
import { convertFile } from "./cli-convert.js";
import { scratchDir } from "./report.js";

const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const rw = realworld();
const source =
  (process.argv[2] || undefined) ??
  join(rw.dir ?? ".", "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5");
const reps = Number(process.argv[3] ?? 300);
const dir = scratchDir();
await fs.mkdir(dir, { recursive: true });
const bytes = new Uint8Array(readFileSync(source));

const rows: [string, number, number][] = [];
/** Runs `fn` `n` times (after a few warm-up runs); records the median and the fastest, in µs. */
async function piece(name: string, fn: (i: number) => unknown, n = reps, after?: () => unknown): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await fn(-1 - i);
    await after?.();
  }
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ts.push(performance.now() - t0);
    await after?.();
  }
  ts.sort((a, b) => a - b);
  rows.push([name, ts[Math.floor(n / 2)]! * 1000, ts[0]! * 1000]);
}

const parsed = async (): Promise<SavedModelData> => (await readKerasH5(bytes, { name: "m.h5", values: "lazy" })).data;
const artifactsOf = (data: SavedModelData) => tfjsArtifacts(data, writeSettings({}, "web"), "web");
const load0 = loadavg()[0]!;

await piece("baseline: fs.readFile(.h5)", () => fs.readFile(source));
await piece("baseline: readFileSync(.h5)", () => readFileSync(source));
const from = { store: new NodeStore(dirname(source)), path: basename(source) };
await piece("detect the format (sniff, on disk)", () => formats.detect(from));
const reader = await formats.detect(from);
await piece("read the .h5 (the reader: open, read, parse)", () =>
  reader.read(from, { safeMode: true, onWarning: () => {}, values: "lazy" }),
);
await piece("parse from memory (readKerasH5, lazy), with the optimizer's weights", parsed);
await piece("parse from memory, without them (what a conversion to tfjs reads)", () =>
  readKerasH5(bytes, { name: "m.h5", values: "lazy", optimizer: false }),
);
const data = await parsed();
await piece("topology + manifest plan (tfjsArtifacts)", () => artifactsOf(data));
await piece("the shard's bytes (iterate the chunks)", async () => {
  for (const shard of artifactsOf(data).shards) for await (const _ of shard.chunks);
});
await piece("model.json: JSON.stringify + UTF-8", () => utf8Encode(JSON.stringify(artifactsOf(data).modelJson())));
const target = join(dir, "profile_web");
const clear = () => fs.rm(target, { recursive: true, force: true });
const store = new NodeStore(dir);
let planned = artifactsOf(data);
const replan = async () => {
  await clear();
  planned = artifactsOf(data);
};
await piece(
  "write the directory, --no-sync",
  () => writeNewTfjsDirectory(store, "profile_web", planned, { sync: false }),
  reps,
  replan,
);
await piece(
  "write the directory, durable",
  () => writeNewTfjsDirectory(store, "profile_web", planned, { sync: true }),
  Math.min(reps, 100),
  replan,
);
const out = utf8Encode(JSON.stringify(planned.modelJson())).byteLength + planned.weightBytes;
const raw = join(dir, "profile_raw.bin");
const outBytes = bytes.subarray(0, Math.min(out, bytes.byteLength));
const rmRaw = () => fs.rm(raw, { force: true });
await piece(`floor: fs.writeFile of the output's ${out} bytes`, () => fs.writeFile(raw, outBytes), reps, rmRaw);
await piece(
  "floor: the same, then fdatasync",
  async () => {
    const h = await fs.open(raw, "w");
    await h.write(outBytes);
    await h.datasync();
    await h.close();
  },
  Math.min(reps, 100),
  rmRaw,
);
const convert = (sync: boolean) => convertFile(source, target, "tfjs", formats, { settings: { sync } });
// The CLI's source: held open, read by synchronous positioned reads as the parse asks.
type Located = Parameters<typeof formats.detect>[0];
const small = resolve(dirname(fileURLToPath(import.meta.url)), "../../kerastore/src/cli/small-file.ts");
const { locateSourceForRead, closeSourceLocation } = (await import(pathToFileURL(small).href)) as {
  locateSourceForRead: (source: string) => Promise<Located>;
  closeSourceLocation: (location: Located) => void;
};
// The weights as the Node writer takes them: runs of the file copied into one reused buffer.
const scratch = new Uint8Array(2 ** 20);
await piece("the CLI's source: open, sniff, parse, copy the weights (read as the parse asks)", async () => {
  const location = await locateSourceForRead(source);
  try {
    const r = await formats.detect(location);
    const read = await r.read(location, { safeMode: true, onWarning: () => {}, values: "lazy", optimizer: false });
    for (const shard of artifactsOf(read.data).shards) {
      for await (const piece of shard.pieces ?? shard.chunks) {
        if (piece instanceof Uint8Array) continue;
        for (let done = 0; done < piece.byteLength; done += scratch.byteLength)
          piece.copyInto(scratch.subarray(0, Math.min(scratch.byteLength, piece.byteLength - done)), done);
      }
    }
  } finally {
    closeSourceLocation(location);
  }
});
await piece("whole conversion (the CLI's convertFile), --no-sync", () => convert(false), reps, clear);
await piece("whole conversion (the CLI's convertFile), durable", () => convert(true), Math.min(reps, 100), clear);
await clear();

console.log(
  `${basename(source)} (${bytes.byteLength} bytes), ${reps} runs a piece, load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
);
console.log("| piece | median µs | fastest µs |\n| --- | ---: | ---: |");
for (const [name, med, min] of rows) console.log(`| ${name} | ${med.toFixed(0)} | ${min.toFixed(0)} |`);
